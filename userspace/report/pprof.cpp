#include "report/pprof.h"

#include <zlib.h>

#include <cmath>
#include <map>
#include <tuple>
#include <unordered_map>

#include "core/error.h"
#include "profile.pb.h"

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

std::string gzip_decompress(std::string_view data) {
    z_stream stream{};
    if (inflateInit2(&stream, 15 + 32) != Z_OK) {  // +32: gzip or zlib header, detected
        throw UserError("gzip: inflateInit2 failed");
    }
    std::string out;
    char buffer[65536];
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    int result = Z_OK;
    while (result != Z_STREAM_END) {
        stream.next_out = reinterpret_cast<Bytef*>(buffer);
        stream.avail_out = sizeof(buffer);
        result = inflate(&stream, Z_NO_FLUSH);
        if (result != Z_OK && result != Z_STREAM_END) {
            inflateEnd(&stream);
            throw UserError("not a gzip-compressed pprof profile (inflate failed)");
        }
        out.append(buffer, sizeof(buffer) - stream.avail_out);
        if (result == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) {
            inflateEnd(&stream);
            throw UserError("truncated gzip data in pprof profile");
        }
    }
    inflateEnd(&stream);
    return out;
}

namespace {

class StringTable {
  public:
    explicit StringTable(pb::Profile& profile) : profile_(profile) { index(""); }
    int64_t index(const std::string& text) {
        auto [it, inserted] = ids_.try_emplace(text, static_cast<int64_t>(ids_.size()));
        if (inserted)
            profile_.add_string_table(text);
        return it->second;
    }

  private:
    pb::Profile& profile_;
    std::unordered_map<std::string, int64_t> ids_;
};

bool is_kernel_module(const std::string& module) {
    return module.rfind("[kernel", 0) == 0;
}

}  // namespace

std::string encode_pprof(const StackProfile& profile) {
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

    std::map<std::string, uint64_t> mapping_ids;
    auto mapping_id = [&](const StackFrame& frame) -> uint64_t {
        std::string module = frame.module;
        if (module.empty()) {
            module = frame.kind == StackFrame::Kind::kKernel ? "[kernel]" : "[unknown]";
        }
        auto [it, inserted] = mapping_ids.try_emplace(module, mapping_ids.size() + 1);
        if (inserted) {
            auto* mapping = out.add_mapping();
            mapping->set_id(it->second);
            mapping->set_filename(strings.index(module));
            // Symbolized already: pprof must not try to symbolize again.
            mapping->set_has_functions(true);
        }
        return it->second;
    };
    std::map<std::tuple<std::string, std::string, int>, uint64_t> function_ids;
    auto function_id = [&](const StackFrame& frame) -> uint64_t {
        std::string name = frame.name.empty() ? "[unknown]" : frame.name;
        auto key = std::make_tuple(name, frame.file, frame.line);
        auto [it, inserted] = function_ids.try_emplace(key, function_ids.size() + 1);
        if (inserted) {
            auto* function = out.add_function();
            function->set_id(it->second);
            function->set_name(strings.index(name));
            function->set_system_name(strings.index(name));
            if (!frame.file.empty())
                function->set_filename(strings.index(frame.file));
        }
        return it->second;
    };
    using LocationKey =
        std::tuple<uint64_t, uint64_t, uint64_t, int>;  // mapping, address, fn, line
    std::map<LocationKey, uint64_t> location_ids;
    auto location_id = [&](const StackFrame& frame) -> uint64_t {
        uint64_t mapping = mapping_id(frame);
        uint64_t function = function_id(frame);
        LocationKey key{mapping, frame.address, function, frame.line};
        auto [it, inserted] = location_ids.try_emplace(key, location_ids.size() + 1);
        if (inserted) {
            auto* location = out.add_location();
            location->set_id(it->second);
            location->set_mapping_id(mapping);
            location->set_address(frame.address);
            auto* line = location->add_line();
            line->set_function_id(function);
            line->set_line(frame.line);
        }
        return it->second;
    };

    const int64_t comm_key = strings.index("comm");
    const int64_t pid_key = strings.index("pid");
    const int64_t tid_key = strings.index("tid");
    for (const StackSample& sample : profile.samples) {
        auto* entry = out.add_sample();
        for (auto frame = sample.frames.rbegin(); frame != sample.frames.rend(); ++frame) {
            if (frame->kind == StackFrame::Kind::kSeparator)
                continue;
            entry->add_location_id(location_id(*frame));
        }
        auto value = static_cast<int64_t>(std::llround(sample.value));
        entry->add_value(value);
        if (with_cpu)
            entry->add_value(value * static_cast<int64_t>(profile.period));
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
        sample.value = entry.value_size() > 0 ? static_cast<double>(entry.value(0)) : 0;
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
                frame.inlined = l > 0;
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
