#include "base/logging.h"

#include <bpf/libbpf.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <memory>
#include <string>

namespace bpfscope {

namespace {

Verbosity g_verbosity = Verbosity::kNormal;

// One line per message on unbuffered stderr: "bpfscope <tool>: [level: ]text".
// Info and error lines carry no level word: an error is the tool's one line
// ("bpfscope funclatency: no such function 'x'; ..."), info reads as a message.
class StderrLineSink : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
  public:
    void set_tool(std::string tool) { tool_ = std::move(tool); }

  protected:
    void sink_it_(const spdlog::details::log_msg& message) override {
        std::string line = tool_.empty() ? "bpfscope: " : "bpfscope " + tool_ + ": ";
        switch (message.level) {
            case spdlog::level::trace:
            case spdlog::level::debug:
                line += "debug: ";
                break;
            case spdlog::level::warn:
                line += "warning: ";
                break;
            default:
                break;
        }
        line.append(message.payload.data(), message.payload.size());
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stderr);
    }
    void flush_() override { std::fflush(stderr); }

  private:
    std::string tool_;
};

std::shared_ptr<StderrLineSink>& line_sink() {
    static std::shared_ptr<StderrLineSink> sink;
    return sink;
}

int print_libbpf(enum libbpf_print_level /*level*/, const char* format, va_list args) {
    // libbpf's warnings repeat the one-line errors we report with reasons, so
    // all of libbpf is debug output: shown with -v only.
    if (!spdlog::should_log(spdlog::level::debug))
        return 0;
    char text[2048];
    int length = std::vsnprintf(text, sizeof(text), format, args);
    if (length < 0)
        return length;
    size_t size = std::min<size_t>(static_cast<size_t>(length), sizeof(text) - 1);
    while (size > 0 && text[size - 1] == '\n') --size;
    std::string_view message(text, size);
    // Most libbpf lines already start with "libbpf: "; say it once.
    if (message.substr(0, 8) == "libbpf: ")
        message.remove_prefix(8);
    spdlog::debug("libbpf: {}", message);
    return length;
}

}  // namespace

void setup_logging(const std::string& tool_name, Verbosity verbosity) {
    auto& sink = line_sink();
    if (!sink) {
        sink = std::make_shared<StderrLineSink>();
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("bpfscope", sink));
    }
    if (!tool_name.empty())
        sink->set_tool(tool_name);
    g_verbosity = verbosity;
    switch (verbosity) {
        case Verbosity::kQuiet:
            spdlog::set_level(spdlog::level::err);
            break;
        case Verbosity::kNormal:
            spdlog::set_level(spdlog::level::info);
            break;
        case Verbosity::kVerbose:
            spdlog::set_level(spdlog::level::debug);
            break;
    }
    spdlog::flush_on(spdlog::level::trace);
    libbpf_set_print(print_libbpf);
}

Verbosity current_verbosity() {
    return g_verbosity;
}

}  // namespace bpfscope
