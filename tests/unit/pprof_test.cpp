#include "report/pprof.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "base/error.h"
#include "profile.pb.h"
#include "report/flamegraph.h"
#include "report/folded.h"

using namespace bpfscope::report;

namespace {

StackFrame frame(std::string name, std::string module, uint64_t address,
                 StackFrame::Kind kind = StackFrame::Kind::kUser) {
    StackFrame f;
    f.name = std::move(name);
    f.module = std::move(module);
    f.address = address;
    f.kind = kind;
    return f;
}

StackProfile sample_profile() {
    StackProfile profile;
    profile.sample_type = "samples";
    profile.unit = "count";
    profile.period = 10101010;  // 99 Hz
    profile.period_unit = "nanoseconds";
    profile.duration_ns = 5'000'000'000;
    const auto kernel = StackFrame::Kind::kKernel;
    for (int i = 0; i < 50; i++) {
        StackSample sample;
        sample.comm = i % 3 == 0 ? "worker" : "main thread";
        sample.pid = 1000 + i % 3;
        sample.tid = 2000 + i;
        sample.value = 1 + i * 7;
        sample.frames = {frame("_start", "/usr/bin/app", 0x401000),
                         frame("main", "/usr/bin/app", 0x401100 + i % 4),
                         frame("work_" + std::to_string(i % 5), "/usr/lib/libw.so", 0x7f0000 + i)};
        sample.frames[2].file = "work.c";
        sample.frames[2].line = 10 + i % 5;
        if (i % 5 == 1) {
            // checksum() inlined into work_1 at work_1's sampled address.
            StackFrame inlined = frame("checksum", "/usr/lib/libw.so", 0x7f0000 + i);
            inlined.inlined = true;
            inlined.file = "checksum.h";
            inlined.line = 3;
            sample.frames.push_back(inlined);
        }
        if (i % 2 == 0) {
            StackFrame separator;
            separator.name = "-";
            separator.kind = StackFrame::Kind::kSeparator;
            sample.frames.push_back(separator);
            sample.frames.push_back(frame("do_syscall_64", "[kernel]", 0xffffffff81000000, kernel));
            sample.frames.push_back(frame("vfs_read", "[kernel]", 0xffffffff81200000 + i, kernel));
        }
        profile.samples.push_back(sample);
    }
    return profile;
}

}  // namespace

TEST(Pprof, RoundTripKeepsEverySample) {
    StackProfile original = sample_profile();
    std::string encoded = encode_pprof(original);
    ASSERT_GE(encoded.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(encoded[0]), 0x1f);  // gzip
    EXPECT_EQ(static_cast<unsigned char>(encoded[1]), 0x8b);

    StackProfile decoded = decode_pprof(encoded);
    EXPECT_EQ(decoded.sample_type, "samples");
    EXPECT_EQ(decoded.unit, "count");
    EXPECT_EQ(decoded.period, original.period);
    EXPECT_EQ(decoded.period_unit, "nanoseconds");
    EXPECT_EQ(decoded.duration_ns, original.duration_ns);
    ASSERT_EQ(decoded.samples.size(), original.samples.size());
    for (size_t i = 0; i < original.samples.size(); i++) {
        SCOPED_TRACE("sample " + std::to_string(i));
        const StackSample& want = original.samples[i];
        const StackSample& got = decoded.samples[i];
        EXPECT_EQ(got.comm, want.comm);
        EXPECT_EQ(got.pid, want.pid);
        EXPECT_EQ(got.tid, want.tid);
        EXPECT_DOUBLE_EQ(got.value, want.value);
        // Separators are structure for folded output, not pprof locations.
        std::vector<StackFrame> want_frames;
        for (const auto& f : want.frames) {
            if (f.kind != StackFrame::Kind::kSeparator)
                want_frames.push_back(f);
        }
        ASSERT_EQ(got.frames.size(), want_frames.size());
        for (size_t j = 0; j < want_frames.size(); j++) {
            SCOPED_TRACE("frame " + std::to_string(j));
            EXPECT_EQ(got.frames[j].name, want_frames[j].name);
            EXPECT_EQ(got.frames[j].module, want_frames[j].module);
            EXPECT_EQ(got.frames[j].address, want_frames[j].address);
            EXPECT_EQ(got.frames[j].kind, want_frames[j].kind);
            EXPECT_EQ(got.frames[j].file, want_frames[j].file);
            EXPECT_EQ(got.frames[j].line, want_frames[j].line);
            EXPECT_EQ(got.frames[j].inlined, want_frames[j].inlined);
        }
    }
}

TEST(Pprof, ProfileHasSamplesAndCpuTypesLeafFirstLocationsAndSharedTables) {
    StackProfile original = sample_profile();
    perftools::profiles::Profile raw;
    ASSERT_TRUE(raw.ParseFromString(gzip_decompress(encode_pprof(original))));
    auto text = [&](int64_t i) { return raw.string_table(static_cast<int>(i)); };
    EXPECT_EQ(raw.string_table(0), "");
    ASSERT_EQ(raw.sample_type_size(), 2);
    EXPECT_EQ(text(raw.sample_type(0).type()), "samples");
    EXPECT_EQ(text(raw.sample_type(0).unit()), "count");
    EXPECT_EQ(text(raw.sample_type(1).type()), "cpu");
    EXPECT_EQ(text(raw.sample_type(1).unit()), "nanoseconds");
    EXPECT_EQ(text(raw.period_type().type()), "cpu");
    EXPECT_EQ(raw.period(), 10101010);
    EXPECT_EQ(raw.duration_nanos(), 5'000'000'000);
    // cpu = samples * period in every sample.
    for (const auto& sample : raw.sample()) {
        ASSERT_EQ(sample.value_size(), 2);
        EXPECT_EQ(sample.value(1), sample.value(0) * 10101010);
    }
    // Leaf first: the first location of sample 0 is vfs_read, the last _start.
    const auto& first = raw.sample(0);
    auto function_name = [&](uint64_t location_id) {
        for (const auto& location : raw.location()) {
            if (location.id() != location_id)
                continue;
            for (const auto& function : raw.function()) {
                if (function.id() == location.line(0).function_id())
                    return text(function.name());
            }
        }
        return std::string("?");
    };
    EXPECT_EQ(function_name(first.location_id(0)), "vfs_read");
    EXPECT_EQ(function_name(first.location_id(first.location_id_size() - 1)), "_start");
    // Deduplicated: 3 modules -> 3 mappings; _start is one location for all samples.
    EXPECT_EQ(raw.mapping_size(), 3);
    int start_locations = 0;
    for (const auto& location : raw.location()) {
        if (function_name(location.id()) == "_start")
            start_locations++;
    }
    EXPECT_EQ(start_locations, 1);
    // An inlined frame is a second line of its caller's location, innermost first.
    int inline_locations = 0;
    for (const auto& location : raw.location()) {
        if (location.line_size() != 2)
            continue;
        inline_locations++;
        for (const auto& function : raw.function()) {
            if (function.id() == location.line(0).function_id()) {
                EXPECT_EQ(text(function.name()), "checksum");
            }
            if (function.id() == location.line(1).function_id()) {
                EXPECT_EQ(text(function.name()), "work_1");
            }
        }
    }
    EXPECT_EQ(inline_locations, 10);  // i % 5 == 1 for 10 of 50 samples, distinct addresses
    EXPECT_TRUE(raw.mapping(0).has_functions());
}

TEST(Pprof, OffCpuProfileHasOneSampleType) {
    StackProfile profile;
    profile.sample_type = "offcpu";
    profile.unit = "microseconds";
    StackSample sample;
    sample.frames = {frame("main", "/bin/x", 1), frame("read", "/bin/x", 2)};
    sample.value = 1234;
    profile.samples.push_back(sample);
    perftools::profiles::Profile raw;
    ASSERT_TRUE(raw.ParseFromString(gzip_decompress(encode_pprof(profile))));
    ASSERT_EQ(raw.sample_type_size(), 1);
    EXPECT_EQ(raw.string_table(static_cast<int>(raw.sample_type(0).type())), "offcpu");
    EXPECT_EQ(raw.string_table(static_cast<int>(raw.sample_type(0).unit())), "microseconds");
    EXPECT_EQ(raw.sample(0).value(0), 1234);
    EXPECT_EQ(raw.period(), 1);
}

TEST(Pprof, GarbageIsAUserError) {
    EXPECT_THROW(decode_pprof(std::string("\x1f\x8b garbage", 10)), bpfscope::UserError);
    EXPECT_THROW(decode_pprof(std::string("\xff\xff\xff\xff", 4)), bpfscope::UserError);
}

TEST(Pprof, FoldedStacksRoundTrip) {
    FoldedStacks stacks;
    parse_folded(
        "app;main;read;vfs_read_[k] 5\n"
        "app;main;compute 7\n"
        "app;main;read;vfs_read_[k] 2\n"
        "app;idle 0.5\n",
        "in", FoldedColumn::kOnly, stacks);
    PprofNotes notes;
    StackProfile decoded = decode_pprof(encode_pprof_folded(stacks, "samples", notes));
    EXPECT_EQ(notes.rounded, 1u);
    EXPECT_EQ(notes.saturated, 0u);
    EXPECT_EQ(decoded.sample_type, "samples");
    EXPECT_EQ(decoded.unit, "count");
    ASSERT_EQ(decoded.samples.size(), stacks.stacks.size());
    for (size_t i = 0; i < stacks.stacks.size(); i++) {
        SCOPED_TRACE("stack " + std::to_string(i));
        const auto& stack = stacks.stacks[i];
        const auto& sample = decoded.samples[i];
        EXPECT_EQ(sample.value, uint64_t(std::llround(stack.count)));
        ASSERT_EQ(sample.frames.size(), stack.depth);
        for (uint32_t j = 0; j < stack.depth; j++) {
            std::string name(stacks.name(stacks.frames[stack.first + j]));
            bool kernel = name.ends_with("_[k]");
            if (kernel)
                name.resize(name.size() - 4);
            EXPECT_EQ(sample.frames[j].name, name);
            EXPECT_EQ(sample.frames[j].kind,
                      kernel ? StackFrame::Kind::kKernel : StackFrame::Kind::kUser);
            EXPECT_EQ(sample.frames[j].module, kernel ? "[kernel]" : "[unknown]");
        }
    }
}

namespace {

// The raw int64 sample values of an encoded profile (first sample type).
std::vector<int64_t> raw_values(const std::string& encoded) {
    perftools::profiles::Profile raw;
    EXPECT_TRUE(raw.ParseFromString(gzip_decompress(encoded)));
    std::vector<int64_t> values;
    for (const auto& sample : raw.sample()) values.push_back(sample.value(0));
    return values;
}

}  // namespace

// Before: a count of 2^63-1 became INT64_MIN (llround of 2^63 as a double) and
// counts above 2^53 were rounded silently.
TEST(Pprof, FoldedCountsStayExactIntegersAndSaturateAtInt64Max) {
    FoldedStacks stacks;
    parse_folded(
        "a;x 9223372036854775807\n"
        "a;y 9007199254740993\n"  // 2^53 + 1
        "a;z 18446744073709551615\n"
        "a;w 3\n",
        "in", FoldedColumn::kOnly, stacks);
    PprofNotes notes;
    auto values = raw_values(encode_pprof_folded(stacks, "samples", notes));
    ASSERT_EQ(values.size(), 4u);
    EXPECT_EQ(values[0], INT64_MAX);
    EXPECT_EQ(values[1], 9007199254740993);
    EXPECT_EQ(values[2], INT64_MAX);  // saturated, and said so
    EXPECT_EQ(values[3], 3);
    EXPECT_EQ(notes.saturated, 1u);
    EXPECT_EQ(notes.rounded, 0u);
    EXPECT_NE(pprof_notes_warning(notes).find("1 count above 9223372036854775807"),
              std::string::npos)
        << pprof_notes_warning(notes);
    EXPECT_EQ(pprof_notes_warning(PprofNotes{}), "");
}

TEST(Pprof, ProfileCountsStayExactAndTheCpuProductSaturates) {
    StackProfile profile;
    profile.sample_type = "samples";
    profile.unit = "count";
    profile.period = 2000;
    for (uint64_t value : {(uint64_t(1) << 53) + 1, uint64_t(INT64_MAX), UINT64_MAX}) {
        StackSample sample;
        sample.comm = "p";
        sample.frames = {frame("f", "/bin/p", 0x1000)};
        sample.value = value;
        profile.samples.push_back(sample);
    }
    PprofNotes notes;
    std::string encoded = encode_pprof(profile, &notes);
    perftools::profiles::Profile raw;
    ASSERT_TRUE(raw.ParseFromString(gzip_decompress(encoded)));
    ASSERT_EQ(raw.sample_size(), 3);
    EXPECT_EQ(raw.sample(0).value(0), 9007199254740993);
    EXPECT_EQ(raw.sample(0).value(1), INT64_MAX);  // (2^53 + 1) * 2000 does not fit
    EXPECT_EQ(raw.sample(1).value(0), INT64_MAX);
    EXPECT_EQ(raw.sample(2).value(0), INT64_MAX);
    EXPECT_EQ(notes.saturated, 4u);  // one sample value (2^64-1) and three cpu products
    StackProfile decoded = decode_pprof(encoded);
    EXPECT_EQ(decoded.samples[0].value, (uint64_t(1) << 53) + 1);
}

// Before: an invalid-UTF-8 name made a file protobuf refuses to parse.
TEST(Pprof, InvalidUtf8NamesAreReplacedAsInTheSvg) {
    const std::string bad = "bad\xff\xc3name";
    StackProfile profile;
    profile.sample_type = "samples";
    profile.unit = "count";
    StackSample sample;
    sample.comm = "comm\xfe";
    sample.frames = {frame(bad, "/bin/\x80p", 0x1000)};
    sample.value = 4;
    profile.samples.push_back(sample);
    std::string encoded = encode_pprof(profile);
    perftools::profiles::Profile raw;
    ASSERT_TRUE(raw.ParseFromString(gzip_decompress(encoded)));  // protobuf accepts it
    StackProfile decoded = decode_pprof(encoded);
    ASSERT_EQ(decoded.samples.size(), 1u);
    std::string svg_text;
    append_xml_escaped(svg_text, bad);
    EXPECT_EQ(decoded.samples[0].frames[0].name, svg_text);  // the same replacement
    EXPECT_EQ(decoded.samples[0].frames[0].name, "bad\xEF\xBF\xBD\xEF\xBF\xBDname");
    EXPECT_EQ(decoded.samples[0].comm, "comm\xEF\xBF\xBD");

    FoldedStacks stacks;
    parse_folded("a;" + bad + " 2\n", "in", FoldedColumn::kOnly, stacks);
    PprofNotes notes;
    StackProfile from_folded = decode_pprof(encode_pprof_folded(stacks, "samples", notes));
    EXPECT_EQ(from_folded.samples[0].frames[1].name, svg_text);
}

TEST(Gzip, MultiMemberStreamsAndCorruptDataNamed) {
    std::string both = gzip_compress("a 1\n") + gzip_compress("b 2\n");
    EXPECT_EQ(gzip_decompress(both, "x"), "a 1\nb 2\n");
    std::string truncated = gzip_compress(std::string(10000, 'x'));
    truncated.resize(truncated.size() / 2);
    try {
        gzip_decompress(truncated, "in.folded.gz");
        ADD_FAILURE() << "truncated data accepted";
    } catch (const bpfscope::UserError& error) {
        EXPECT_NE(std::string(error.what()).find("in.folded.gz: truncated gzip data"),
                  std::string::npos)
            << error.what();
    }
    EXPECT_THROW(gzip_decompress(std::string("\x1f\x8b\x08\x00garbage", 12), "g"),
                 bpfscope::UserError);
}
