#include "core/probe_event_output.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace bpfscope {

namespace {

uint64_t as_bits(const FieldValue& value) {
    if (auto s = std::get_if<int64_t>(&value))
        return uint64_t(*s);
    if (auto u = std::get_if<uint64_t>(&value))
        return *u;
    return 0;
}

std::string plain_value(const FieldValue& value) {
    if (auto s = std::get_if<int64_t>(&value))
        return std::to_string(*s);
    if (auto u = std::get_if<uint64_t>(&value))
        return std::to_string(*u);
    return std::get<std::string>(value);
}

std::string convert(const std::string& conversion, const FieldValue& value) {
    char kind = conversion.back();
    std::string length = conversion.substr(0, conversion.size() - 1);
    if (kind == 's')
        return plain_value(value);
    uint64_t bits = as_bits(value);
    if (kind == 'c')
        return std::string(1, char(bits));
    if (kind == 'p')
        return fmt::format("0x{:x}", bits);
    bool is_signed = kind == 'd' || kind == 'i';
    // C's promotions: no length is int, l/ll 64 bits, h short, hh char.
    if (length.empty()) {
        if (is_signed)
            return std::to_string(int32_t(bits));
        bits = uint32_t(bits);
    } else if (length == "h") {
        if (is_signed)
            return std::to_string(int16_t(bits));
        bits = uint16_t(bits);
    } else if (length == "hh") {
        if (is_signed)
            return std::to_string(int8_t(bits));
        bits = uint8_t(bits);
    } else if (is_signed) {
        return std::to_string(int64_t(bits));
    }
    if (kind == 'x')
        return fmt::format("{:x}", bits);
    if (kind == 'X')
        return fmt::format("{:X}", bits);
    return std::to_string(bits);
}

nlohmann::json json_value(const FieldValue& value) {
    if (auto s = std::get_if<int64_t>(&value))
        return *s;
    if (auto u = std::get_if<uint64_t>(&value))
        return *u;
    return std::get<std::string>(value);
}

}  // namespace

std::string format_probe_fields(const FormatSpec* format, const std::vector<FieldValue>& values,
                                const std::vector<FieldExpression>& fields) {
    std::string out;
    if (!format) {
        for (size_t i = 0; i < values.size() && i < fields.size(); i++)
            out += (i ? " " : "") + fields[i].text + "=" + plain_value(values[i]);
        return out;
    }
    size_t next = 0;
    for (const auto& piece : format->pieces) {
        out += piece.literal;
        if (piece.conversion.empty())
            continue;
        if (next < values.size())
            out += convert(piece.conversion, values[next]);
        next++;
    }
    return out;
}

ProbeEventWriter::ProbeEventWriter(std::ostream& out, const ProbeSession& session,
                                   const FormatSpec* format, EventLineOptions options,
                                   StackSymbols* symbols)
    : out_(out), session_(session), format_(format), options_(options), symbols_(symbols) {}

void ProbeEventWriter::header() {
    if (!options_.json)
        out_ << fmt::format("{:<12} {:>3} {:>15} {:<16} {:<24} {}\n", "TIME", "CPU", "PID/TID",
                            "COMM", "PROBE", "FIELDS");
}

std::vector<std::string> ProbeEventWriter::stack_lines(const ProbeEvent& event) {
    std::vector<std::string> lines;
    if (!symbols_)
        return lines;
    auto add = [&](const std::vector<StackFrame>& root_first) {
        for (auto it = root_first.rbegin(); it != root_first.rend(); ++it)
            if (it->kind != StackFrame::Kind::kKernel || !is_tracing_frame(it->name))
                lines.push_back(it->name + (it->module.empty() || it->module == "[kernel]"
                                                ? ""
                                                : " (" + it->module + ")"));
    };
    if (!event.kernel_ips.empty())
        add(symbols_->kernel_frames(event.kernel_ips));
    else if (event.kernel_stack_missing)
        lines.push_back("[missing kernel stack]");
    if (!event.user_ips.empty()) {
        symbols_->observe_process(event.tgid);
        add(symbols_->user_frames(event.tgid, event.user_ips));
    } else if (event.user_stack_missing) {
        lines.push_back("[missing user stack]");
    }
    return lines;
}

void ProbeEventWriter::write(const ProbeEvent& event) {
    const auto& options = session_.options();
    const ProbePoint& point = session_.points()[event.point];
    std::string fields = format_probe_fields(format_, event.fields, options.fields);
    double seconds = event.timestamp_ns >= options_.start_ns
                         ? double(event.timestamp_ns - options_.start_ns) / 1e9
                         : 0.0;
    std::vector<std::string> stack = stack_lines(event);
    if (options_.json) {
        nlohmann::json line;
        line["time_s"] = seconds;
        line["timestamp_ns"] = event.timestamp_ns;
        line["cpu"] = event.cpu;
        line["pid"] = event.tgid;
        line["tid"] = event.tid;
        line["uid"] = event.uid;
        line["comm"] = event.comm;
        line["probe"] = point.name;
        nlohmann::json values = nlohmann::json::object();
        for (size_t i = 0; i < event.fields.size() && i < options.fields.size(); i++)
            values[options.fields[i].text] = json_value(event.fields[i]);
        line["fields"] = values;
        if (format_)
            line["text"] = fields;
        if (options.kernel_stack || options.user_stack)
            line["stack"] = stack;
        out_ << line.dump() << '\n';
    } else {
        out_ << fmt::format("{:<12.6f} {:>3} {:>15} {:<16} {:<24} {}\n", seconds, event.cpu,
                            fmt::format("{}/{}", event.tgid, event.tid), event.comm, point.name,
                            fields);
        for (const auto& frame : stack) out_ << "        " << frame << '\n';
    }
    out_.flush();
}

}  // namespace bpfscope
