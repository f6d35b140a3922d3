#include "report/pprof.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "base/error.h"
#include "profile.pb.h"
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
    bool rounded = false;
    StackProfile decoded = decode_pprof(encode_pprof_folded(stacks, "samples", rounded));
    EXPECT_TRUE(rounded);
    EXPECT_EQ(decoded.sample_type, "samples");
    EXPECT_EQ(decoded.unit, "count");
    ASSERT_EQ(decoded.samples.size(), stacks.stacks.size());
    for (size_t i = 0; i < stacks.stacks.size(); i++) {
        SCOPED_TRACE("stack " + std::to_string(i));
        const auto& stack = stacks.stacks[i];
        const auto& sample = decoded.samples[i];
        EXPECT_DOUBLE_EQ(sample.value, std::llround(stack.count));
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
