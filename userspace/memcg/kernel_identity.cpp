#include "memcg/kernel_identity.h"

#include <sys/utsname.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <sstream>

#include "base/error.h"
#include "memcg/cgroup_layout.h"
#include "symbols/kallsyms.h"

namespace bpfscope::memcg {

std::map<std::string, std::string> parse_kernel_config(std::string_view text,
                                                       std::string_view prefix) {
    std::map<std::string, std::string> options;
    std::istringstream lines{std::string(text)};
    std::string line;
    const std::string not_set = " is not set";
    while (std::getline(lines, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.rfind("# CONFIG_", 0) == 0 && line.size() > not_set.size() &&
            line.compare(line.size() - not_set.size(), not_set.size(), not_set) == 0) {
            std::string name = line.substr(2, line.size() - 2 - not_set.size());
            if (name.rfind(prefix, 0) == 0)
                options[name] = "n";
            continue;
        }
        if (line.rfind("CONFIG_", 0) != 0)
            continue;
        size_t equals = line.find('=');
        if (equals == std::string::npos)
            continue;
        std::string name = line.substr(0, equals);
        if (name.rfind(prefix, 0) != 0)
            continue;
        std::string value = line.substr(equals + 1);
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        options[name] = value;
    }
    return options;
}

std::string read_gzip_file(const std::string& path) {
    gzFile file = ::gzopen(path.c_str(), "rb");
    if (!file)
        throw UserError(errno_message("cannot open " + path, errno));
    std::string text;
    std::array<char, 65536> buffer;
    while (true) {
        int n = ::gzread(file, buffer.data(), unsigned(buffer.size()));
        if (n < 0) {
            int code = 0;
            std::string message = ::gzerror(file, &code);
            ::gzclose(file);
            throw UserError("cannot decompress " + path + ": " + message);
        }
        if (n == 0)
            break;
        text.append(buffer.data(), size_t(n));
    }
    ::gzclose(file);
    return text;
}

namespace {

std::vector<std::string> split_cmdline(std::string_view cmdline) {
    std::vector<std::string> words;
    std::string word;
    bool quoted = false, have_word = false;
    for (char c : cmdline) {
        if (c == '"') {
            quoted = !quoted;
            have_word = true;
            continue;
        }
        if (!quoted && (c == ' ' || c == '\t' || c == '\n')) {
            if (have_word)
                words.push_back(word);
            word.clear();
            have_word = false;
            continue;
        }
        word.push_back(c);
        have_word = true;
    }
    if (have_word)
        words.push_back(word);
    return words;
}

bool memcg_relevant(const std::string& parameter) {
    std::string name = parameter.substr(0, parameter.find('='));
    static const std::array<const char*, 10> exact = {"cgroup_disable",
                                                      "cgroup_enable",
                                                      "cgroup_no_v1",
                                                      "cgroup.memory",
                                                      "swapaccount",
                                                      "systemd.unified_cgroup_hierarchy",
                                                      "systemd.legacy_systemd_cgroup_controller",
                                                      "cgroup_favordynmods",
                                                      "transparent_hugepage",
                                                      "memory_hotplug.memmap_on_memory"};
    for (const char* wanted : exact)
        if (name == wanted)
            return true;
    // Future and out-of-tree knobs (e.g. a patched kernel's memcg.* switches).
    return name.rfind("memcg", 0) == 0 || name.rfind("cgroup.", 0) == 0 ||
           name.rfind("mem_cgroup", 0) == 0;
}

}  // namespace

std::vector<std::string> memcg_boot_parameters(std::string_view cmdline) {
    std::vector<std::string> kept;
    for (const auto& word : split_cmdline(cmdline)) {
        if (word == "--")
            break;
        if (memcg_relevant(word))
            kept.push_back(word);
    }
    return kept;
}

const std::vector<std::string>& rstat_marker_symbols() {
    static const std::vector<std::string> names = {"css_rstat_flush", "cgroup_rstat_flush",
                                                   "mem_cgroup_css_rstat_flush"};
    return names;
}

const std::vector<std::string>& atomic_marker_symbols() {
    static const std::vector<std::string> names = {
        "memcg_page_state_atomic_counter_recursive", "memcg_page_state_atomic_counter_batch",
        "memcg_atomic_walk", "memcg_atomic_visit_batch", "memcg_atomic_visit_node"};
    return names;
}

StatsImplementation classify_stats_implementation(const std::set<std::string>& kernel_functions) {
    StatsImplementation result;
    for (const auto& name : rstat_marker_symbols())
        if (kernel_functions.count(name))
            result.rstat_symbols.push_back(name);
    for (const auto& name : atomic_marker_symbols())
        if (kernel_functions.count(name))
            result.atomic_symbols.push_back(name);
    for (auto it = kernel_functions.lower_bound("css_atomic_");
         it != kernel_functions.end() && it->rfind("css_atomic_", 0) == 0; ++it)
        result.atomic_symbols.push_back(*it);
    // The rstat flush needs both the generic walk and memcg's per-cpu callback.
    bool rstat = result.rstat_symbols.size() >= 2 &&
                 std::count(result.rstat_symbols.begin(), result.rstat_symbols.end(),
                            "mem_cgroup_css_rstat_flush") == 1;
    bool atomic = !result.atomic_symbols.empty();
    result.kind = rstat && atomic ? "both" : rstat ? "rstat" : atomic ? "atomic" : "unknown";
    return result;
}

KernelIdentity probe_kernel_identity() {
    KernelIdentity identity;
    utsname uts{};
    if (::uname(&uts) == 0) {
        identity.release = uts.release;
        identity.version = uts.version;
        identity.machine = uts.machine;
    }
    std::string boot_config = "/boot/config-" + identity.release;
    try {
        identity.memcg_config =
            parse_kernel_config(read_gzip_file("/proc/config.gz"), "CONFIG_MEMCG");
        identity.config_source = "/proc/config.gz";
    } catch (const UserError& proc_error) {
        if (auto text = try_read_text_file(boot_config)) {
            identity.memcg_config = parse_kernel_config(*text, "CONFIG_MEMCG");
            identity.config_source = boot_config;
        } else {
            identity.config_problem = std::string(proc_error.what()) + "; no " + boot_config +
                                      " either (CONFIG_IKCONFIG_PROC unset?)";
        }
    }
    identity.cmdline = try_read_text_file("/proc/cmdline").value_or("");
    while (!identity.cmdline.empty() && identity.cmdline.back() == '\n')
        identity.cmdline.pop_back();
    identity.boot_parameters = memcg_boot_parameters(identity.cmdline);
    try {
        identity.implementation =
            classify_stats_implementation(symbols::Kallsyms::system().function_names());
        identity.symbols_source = "/proc/kallsyms";
    } catch (const UserError&) {
        identity.implementation.kind = "unknown";  // no kallsyms: cannot tell
    }
    return identity;
}

}  // namespace bpfscope::memcg
