#include "report/pprof.h"

#include <zlib.h>

#include <cmath>
#include <map>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/error.h"
#include "profile.pb.h"
#include "report/flamegraph.h"
#include "report/utf8.h"

namespace bpfscope::report {

namespace pb = perftools::profiles;

std::string gzip_compress(std::string_view data) {
    z_stream stream{};
    // windowBits 15 + 16: gzip header and trailer, as pprof readers expect.
    if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        throw UserError("gzip: deflateInit2 failed");
    }
    std::string out;
    out.resize(deflateBound(&stream, static_cast<uLong>(data.size())) + 32);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    int result = deflate(&stream, Z_FINISH);
    size_t produced = stream.total_out;
    deflateEnd(&stream);
    if (result != Z_STREAM_END)
        throw UserError("gzip: compression failed");
    out.resize(produced);
    return out;
}

std::string gzip_decompress(std::string_view data, std::string_view what) {
    z_stream stream{};
    if (inflateInit2(&stream, 15 + 32) != Z_OK) {  // +32: gzip or zlib header, detected
        throw UserError("gzip: inflateInit2 failed");
    }
    std::string out;
    char buffer[65536];
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    while (true) {
        stream.next_out = reinterpret_cast<Bytef*>(buffer);
        stream.avail_out = sizeof(buffer);
        int result = inflate(&stream, Z_NO_FLUSH);
        out.append(buffer, sizeof(buffer) - stream.avail_out);
        if (result == Z_STREAM_END) {
            // `gzip a; gzip b; cat a.gz b.gz` is one valid stream of two members.
            if (stream.avail_in == 0)
                break;
            if (inflateReset(&stream) != Z_OK)
                break;
            continue;
        }
        if (result != Z_OK || (stream.avail_in == 0 && stream.avail_out != 0)) {
            inflateEnd(&stream);
            throw UserError(std::string(what) +
                            (result == Z_OK || result == Z_BUF_ERROR
                                 ? ": truncated gzip data"
                                 : ": not valid gzip data (" +
                                       std::string(stream.msg ? stream.msg : "inflate failed") +
                                       ")"));
        }
    }
    inflateEnd(&stream);
    return out;
}

namespace {

class StringTable {
  public:
    explicit StringTable(pb::Profile& profile) : profile_(profile) { index(""); }
    // protobuf strings must be UTF-8 (readers refuse the file otherwise).
    int64_t index(const std::string& text) {
        auto [it, inserted] = ids_.try_emplace(text, static_cast<int64_t>(ids_.size()));
        if (inserted)
            profile_.add_string_table(valid_utf8(text));
        return it->second;
    }

  private:
    pb::Profile& profile_;
    std::unordered_map<std::string, int64_t> ids_;
};

struct FunctionKey {
    std::string_view name;
    std::string_view file;
    bool operator==(const FunctionKey&) const = default;
};

struct LocationKey {
    uint64_t mapping, address, function;
    int line;
    bool operator==(const LocationKey&) const = default;
};

struct KeyHash {
    static uint64_t mix(uint64_t hash, uint64_t value) {
        hash ^= value + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
        return hash;
    }
    size_t operator()(const FunctionKey& key) const {
        return mix(std::hash<std::string_view>()(key.name),
                   std::hash<std::string_view>()(key.file));
    }
    size_t operator()(const LocationKey& key) const {
        uint64_t hash = mix(key.mapping, key.address);
        hash = mix(hash, key.function);
        return mix(hash, static_cast<uint64_t>(key.line));
    }
};

constexpr uint64_t kInt64Max = static_cast<uint64_t>(INT64_MAX);

// pprof values are int64: larger counts saturate (and are counted).
int64_t saturated_value(uint64_t value, PprofNotes& notes) {
    if (value > kInt64Max) {
        notes.saturated++;
        return INT64_MAX;
    }
    return static_cast<int64_t>(value);
}

int64_t saturated_product(uint64_t value, uint64_t factor, PprofNotes& notes) {
    uint64_t product = 0;
    if (__builtin_mul_overflow(value, factor, &product) || product > kInt64Max) {
        notes.saturated++;
        return INT64_MAX;
    }
    return static_cast<int64_t>(product);
}

bool is_kernel_module(const std::string& module) {
    return module.rfind("[kernel", 0) == 0;
}

}  // namespace

std::string pprof_notes_warning(const PprofNotes& notes) {
    std::string text;
    if (notes.rounded > 0)
        text = std::to_string(notes.rounded) + " fractional count" +
               (notes.rounded == 1 ? "" : "s") + " rounded to the nearest integer";
    if (notes.saturated > 0)
        text += (text.empty() ? "" : "; ") + std::to_string(notes.saturated) + " count" +
                (notes.saturated == 1 ? "" : "s") +
                " above 9223372036854775807 (2^63-1) written as 2^63-1";
    return text.empty() ? text : "pprof stores int64 counts: " + text;
}

std::string encode_pprof(const StackProfile& profile, PprofNotes* notes_out) {
    PprofNotes notes;
    pb::Profile out;
    StringTable strings(out);

    const std::string sample_type = profile.sample_type.empty() ? "samples" : profile.sample_type;
    const std::string unit = profile.unit.empty() ? "count" : profile.unit;
    auto* primary = out.add_sample_type();
    primary->set_type(strings.index(sample_type));
    primary->set_unit(strings.index(unit));
    const bool with_cpu = unit == "count" && profile.period > 0;
    const std::string period_unit =
        profile.period_unit.empty() ? "nanoseconds" : profile.period_unit;
    if (with_cpu) {
        auto* cpu = out.add_sample_type();
        cpu->set_type(strings.index("cpu"));
        cpu->set_unit(strings.index(period_unit));
        out.mutable_period_type()->set_type(strings.index("cpu"));
        out.mutable_period_type()->set_unit(strings.index(period_unit));
        out.set_period(static_cast<int64_t>(profile.period));
    } else {
        // Each sample is its own measurement: one unit of the sample type.
        out.mutable_period_type()->set_type(strings.index(sample_type));
        out.mutable_period_type()->set_unit(strings.index(unit));
        out.set_period(profile.period > 0 ? static_cast<int64_t>(profile.period) : 1);
    }
    out.set_duration_nanos(static_cast<int64_t>(profile.duration_ns));
    out.set_default_sample_type(strings.index(with_cpu ? "cpu" : sample_type));

    bool any_inlined = false, any_file = false, any_line = false;
    for (const StackSample& sample : profile.samples) {
        for (const StackFrame& frame : sample.frames) {
            any_inlined = any_inlined || frame.inlined;
            any_file = any_file || !frame.file.empty();
            any_line = any_line || frame.line != 0;
        }
    }
    // Hash maps keyed by views into the profile's strings (alive for the whole
    // call): millions of frames are looked up, so no key allocates.
    std::unordered_map<std::string_view, uint64_t> mapping_ids;
    auto mapping_id = [&](const StackFrame& frame) -> uint64_t {
        std::string_view module = frame.module;
        if (module.empty()) {
            module = frame.kind == StackFrame::Kind::kKernel ? "[kernel]" : "[unknown]";
        }
        auto [it, inserted] = mapping_ids.try_emplace(module, mapping_ids.size() + 1);
        if (inserted) {
            auto* mapping = out.add_mapping();
            mapping->set_id(it->second);
            mapping->set_filename(strings.index(std::string(module)));
            // Symbolized already: pprof must not try to symbolize again.
            mapping->set_has_functions(true);
            mapping->set_has_filenames(any_file);
            mapping->set_has_line_numbers(any_line);
            mapping->set_has_inline_frames(any_inlined);
        }
        return it->second;
    };
    std::unordered_map<FunctionKey, uint64_t, KeyHash> function_ids;
    auto function_id = [&](const StackFrame& frame) -> uint64_t {
        std::string_view name = frame.name.empty() ? std::string_view("[unknown]") : frame.name;
        auto [it, inserted] = function_ids.try_emplace({name, frame.file}, function_ids.size() + 1);
        if (inserted) {
            auto* function = out.add_function();
            function->set_id(it->second);
            int64_t name_index = strings.index(std::string(name));
            function->set_name(name_index);
            function->set_system_name(name_index);
            if (!frame.file.empty())
                function->set_filename(strings.index(frame.file));
        }
        return it->second;
    };
    // A location is one address with its source lines, innermost inlined
    // function first: a frame marked inlined at the same address as the frame
    // toward the root (its caller) shares that frame's location.
    uint64_t next_location_id = 1;
    auto add_location = [&](uint64_t mapping, uint64_t address,
                            const std::vector<std::pair<uint64_t, int>>& lines) {
        auto* location = out.add_location();
        location->set_id(next_location_id);
        location->set_mapping_id(mapping);
        location->set_address(address);
        for (const auto& [function, line_number] : lines) {
            auto* line = location->add_line();
            line->set_function_id(function);
            line->set_line(line_number);
        }
        return next_location_id++;
    };
    std::unordered_map<LocationKey, uint64_t, KeyHash> single_line_locations;
    std::map<std::tuple<uint64_t, uint64_t, std::vector<std::pair<uint64_t, int>>>, uint64_t>
        inlined_locations;
    std::vector<std::pair<uint64_t, int>> lines;
    auto location_id = [&](const std::vector<const StackFrame*>& inner_first) -> uint64_t {
        const StackFrame& outer = *inner_first.back();
        uint64_t mapping = mapping_id(outer);
        lines.clear();
        for (const StackFrame* frame : inner_first) {
            lines.emplace_back(function_id(*frame), frame->line);
        }
        if (lines.size() == 1) {
            LocationKey key{mapping, outer.address, lines[0].first, lines[0].second};
            auto found = single_line_locations.find(key);
            if (found != single_line_locations.end())
                return found->second;
            uint64_t id = add_location(mapping, outer.address, lines);
            single_line_locations.emplace(key, id);
            return id;
        }
        auto key = std::make_tuple(mapping, outer.address, lines);
        auto found = inlined_locations.find(key);
        if (found != inlined_locations.end())
            return found->second;
        uint64_t id = add_location(mapping, outer.address, lines);
        inlined_locations.emplace(std::move(key), id);
        return id;
    };
    const int64_t comm_key = strings.index("comm");
    const int64_t pid_key = strings.index("pid");
    const int64_t tid_key = strings.index("tid");
    for (const StackSample& sample : profile.samples) {
        auto* entry = out.add_sample();
        std::vector<const StackFrame*> group;
        for (size_t i = sample.frames.size(); i-- > 0;) {  // leaf first
            const StackFrame& frame = sample.frames[i];
            if (frame.kind == StackFrame::Kind::kSeparator)
                continue;
            group.push_back(&frame);
            const StackFrame* caller = i > 0 ? &sample.frames[i - 1] : nullptr;
            bool inlined_into_caller = frame.inlined && frame.address != 0 && caller != nullptr &&
                                       caller->kind != StackFrame::Kind::kSeparator &&
                                       caller->address == frame.address &&
                                       caller->module == frame.module;
            if (inlined_into_caller)
                continue;
            entry->add_location_id(location_id(group));
            group.clear();
        }
        entry->add_value(saturated_value(sample.value, notes));
        if (with_cpu)
            entry->add_value(saturated_product(sample.value, profile.period, notes));
        if (!sample.comm.empty()) {
            auto* label = entry->add_label();
            label->set_key(comm_key);
            label->set_str(strings.index(sample.comm));
        }
        if (sample.pid != 0) {
            auto* label = entry->add_label();
            label->set_key(pid_key);
            label->set_num(sample.pid);
        }
        if (sample.tid != 0) {
            auto* label = entry->add_label();
            label->set_key(tid_key);
            label->set_num(sample.tid);
        }
    }

    std::string encoded;
    if (!out.SerializeToString(&encoded))
        throw UserError("pprof: cannot encode the profile");
    if (notes_out)
        *notes_out = notes;
    return gzip_compress(encoded);
}

std::string encode_pprof_folded(const FoldedStacks& stacks, const std::string& sample_type,
                                PprofNotes& notes) {
    pb::Profile out;
    StringTable strings(out);
    auto* type = out.add_sample_type();
    type->set_type(strings.index(sample_type.empty() ? "samples" : sample_type));
    type->set_unit(strings.index("count"));
    *out.mutable_period_type() = *type;
    out.set_period(1);
    out.set_default_sample_type(type->type());

    uint64_t kernel_mapping = 0;
    uint64_t other_mapping = 0;
    auto add_mapping = [&](const char* name) {
        auto* mapping = out.add_mapping();
        mapping->set_id(static_cast<uint64_t>(out.mapping_size()));
        mapping->set_filename(strings.index(name));
        mapping->set_has_functions(true);
        return mapping->id();
    };
    // Location id = function id = name id + 1, created on first use.
    std::vector<uint64_t> location_of(stacks.names.size(), 0);
    auto location_id = [&](uint32_t name_id) {
        if (location_of[name_id] != 0)
            return location_of[name_id];
        std::string_view annotated = stacks.name(name_id);
        bool kernel = annotated.size() > 4 && annotated.substr(annotated.size() - 4) == "_[k]";
        // The name as the flame graph titles it: annotation removed.
        std::string_view name = strip_frame_annotation(annotated);
        uint64_t& mapping = kernel ? kernel_mapping : other_mapping;
        if (mapping == 0)
            mapping = add_mapping(kernel ? "[kernel]" : "[unknown]");
        uint64_t id = static_cast<uint64_t>(out.function_size()) + 1;
        auto* function = out.add_function();
        function->set_id(id);
        function->set_name(strings.index(std::string(name)));
        function->set_system_name(function->name());
        auto* location = out.add_location();
        location->set_id(id);
        location->set_mapping_id(mapping);
        location->add_line()->set_function_id(id);
        location_of[name_id] = id;
        return id;
    };
    notes = {};
    for (const auto& stack : stacks.stacks) {
        auto* sample = out.add_sample();
        for (uint32_t i = stack.depth; i-- > 0;) {  // leaf first
            sample->add_location_id(location_id(stacks.frames[stack.first + i]));
        }
        notes.rounded += stack.fractional;
        sample->add_value(saturated_value(stack.exact_count, notes));
    }
    std::string encoded;
    if (!out.SerializeToString(&encoded))
        throw UserError("pprof: cannot encode the profile");
    return gzip_compress(encoded);
}

StackProfile decode_pprof(std::string_view data) {
    // Gzip magic 1f 8b; anything else is tried as a plain protobuf.
    std::string raw = data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
                              static_cast<unsigned char>(data[1]) == 0x8b
                          ? gzip_decompress(data)
                          : std::string(data);
    pb::Profile in;
    if (!in.ParseFromString(raw))
        throw UserError("not a pprof profile (protobuf decode failed)");
    auto text = [&](int64_t index) -> const std::string& {
        if (index < 0 || index >= in.string_table_size()) {
            throw UserError("pprof profile has a string index out of range");
        }
        return in.string_table(static_cast<int>(index));
    };
    StackProfile profile;
    if (in.sample_type_size() > 0) {
        profile.sample_type = text(in.sample_type(0).type());
        profile.unit = text(in.sample_type(0).unit());
    }
    profile.period = static_cast<uint64_t>(in.period());
    if (in.has_period_type())
        profile.period_unit = text(in.period_type().unit());
    profile.duration_ns = static_cast<uint64_t>(in.duration_nanos());

    std::unordered_map<uint64_t, const pb::Mapping*> mappings;
    for (const auto& mapping : in.mapping()) mappings[mapping.id()] = &mapping;
    std::unordered_map<uint64_t, const pb::Function*> functions;
    for (const auto& function : in.function()) functions[function.id()] = &function;
    std::unordered_map<uint64_t, const pb::Location*> locations;
    for (const auto& location : in.location()) locations[location.id()] = &location;

    for (const auto& entry : in.sample()) {
        StackSample sample;
        // A negative value (another writer's) has no meaning as a count: 0.
        sample.value = entry.value_size() > 0 && entry.value(0) > 0
                           ? static_cast<uint64_t>(entry.value(0))
                           : 0;
        for (const auto& label : entry.label()) {
            const std::string& key = text(label.key());
            if (key == "comm")
                sample.comm = text(label.str());
            if (key == "pid")
                sample.pid = static_cast<uint32_t>(label.num());
            if (key == "tid")
                sample.tid = static_cast<uint32_t>(label.num());
        }
        // Leaf first in the file; within a location the innermost line first.
        for (int i = entry.location_id_size() - 1; i >= 0; i--) {
            auto found = locations.find(entry.location_id(i));
            if (found == locations.end())
                throw UserError("pprof sample refers to a missing location");
            const pb::Location& location = *found->second;
            std::string module;
            if (auto mapping = mappings.find(location.mapping_id()); mapping != mappings.end()) {
                module = text(mapping->second->filename());
            }
            for (int l = location.line_size() - 1; l >= 0; l--) {
                StackFrame frame;
                frame.address = location.address();
                frame.module = module;
                frame.kind =
                    is_kernel_module(module) ? StackFrame::Kind::kKernel : StackFrame::Kind::kUser;
                frame.line = static_cast<int>(location.line(l).line());
                frame.inlined = l != location.line_size() - 1;  // all but the outermost
                if (auto function = functions.find(location.line(l).function_id());
                    function != functions.end()) {
                    frame.name = text(function->second->name());
                    frame.file = text(function->second->filename());
                }
                sample.frames.push_back(std::move(frame));
            }
        }
        profile.samples.push_back(std::move(sample));
    }
    return profile;
}

}  // namespace bpfscope::report
