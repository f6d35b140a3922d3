#include "serve/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "base/error.h"

namespace bpfscope::serve {
namespace {

struct Context {
    std::string source;
    [[noreturn]] void fail(const YAML::Node& node, const std::string& what) const {
        std::string where = source;
        if (node.Mark().line >= 0)
            where += ":" + std::to_string(node.Mark().line + 1);
        throw UserError(where + ": " + what + " (see 'bpfscope serve --help' and the README)");
    }
};

void check_keys(const Context& ctx, const YAML::Node& map, const std::string& path,
                const std::set<std::string>& known) {
    if (!map.IsMap())
        ctx.fail(map, "'" + path + "' must be a mapping");
    for (const auto& entry : map) {
        auto key = entry.first.as<std::string>();
        if (!known.count(key)) {
            std::string list;
            for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
            ctx.fail(entry.first, "unknown key '" + (path.empty() ? key : path + "." + key) +
                                      "' (known: " + list + ")");
        }
    }
}

template <typename T>
T scalar(const Context& ctx, const YAML::Node& node, const std::string& key, const char* expected) {
    if (!node.IsScalar())
        ctx.fail(node, "'" + key + "' must be " + expected);
    try {
        return node.as<T>();
    } catch (const YAML::Exception&) {
        ctx.fail(node, "'" + key + "': '" + node.Scalar() + "' is not " + expected);
    }
}

uint32_t bounded(const Context& ctx, const YAML::Node& node, const std::string& key, uint32_t low,
                 uint32_t high) {
    auto value = scalar<int64_t>(ctx, node, key, "a whole number");
    if (value < low || value > high)
        ctx.fail(node, "'" + key + "' must be between " + std::to_string(low) + " and " +
                           std::to_string(high) + ", not " + std::to_string(value));
    return uint32_t(value);
}

}  // namespace

ServeConfig parse_config(const std::string& yaml_text, const std::string& source,
                         ServeConfig config) {
    Context ctx{source};
    YAML::Node root;
    try {
        root = YAML::Load(yaml_text);
    } catch (const YAML::Exception& error) {
        throw UserError(source + ":" + std::to_string(error.mark.line + 1) +
                        ": not valid YAML: " + error.msg);
    }
    if (root.IsNull())
        return config;  // an empty file: the defaults
    check_keys(ctx, root, "", {"listen", "runqlat", "funclatency", "bpf_stats", "pprof"});
    if (auto node = root["listen"]) {
        config.listen = scalar<std::string>(ctx, node, "listen", "HOST:PORT");
        try {
            parse_listen_address(config.listen);
        } catch (const UserError& error) {
            ctx.fail(node, error.what());
        }
    }
    if (auto node = root["bpf_stats"])
        config.bpf_stats = scalar<bool>(ctx, node, "bpf_stats", "true or false");
    if (auto runqlat = root["runqlat"]) {
        check_keys(ctx, runqlat, "runqlat", {"enabled", "per_cgroup", "max_cgroups"});
        if (auto node = runqlat["enabled"])
            config.runqlat = scalar<bool>(ctx, node, "runqlat.enabled", "true or false");
        if (auto node = runqlat["per_cgroup"])
            config.runqlat_per_cgroup =
                scalar<bool>(ctx, node, "runqlat.per_cgroup", "true or false");
        if (auto node = runqlat["max_cgroups"])
            config.runqlat_max_cgroups = bounded(ctx, node, "runqlat.max_cgroups", 1, 10000);
    }
    if (auto funclatency = root["funclatency"]) {
        check_keys(ctx, funclatency, "funclatency", {"targets", "max_targets"});
        if (auto node = funclatency["max_targets"])
            config.funclatency_max_targets = bounded(ctx, node, "funclatency.max_targets", 1, 1000);
        if (auto targets = funclatency["targets"]) {
            if (!targets.IsSequence())
                ctx.fail(targets, "'funclatency.targets' must be a list");
            config.funclatency.clear();
            std::set<std::string> names;
            for (const auto& item : targets) {
                FunclatencyTarget target;
                if (item.IsScalar()) {
                    target.target = item.as<std::string>();
                } else {
                    check_keys(ctx, item, "funclatency.targets[]", {"target", "name", "pid"});
                    if (!item["target"])
                        ctx.fail(item, "a funclatency target needs 'target:'");
                    target.target = scalar<std::string>(ctx, item["target"], "target",
                                                        "a target such as PATH:FUNC");
                    if (auto node = item["name"])
                        target.name = scalar<std::string>(ctx, node, "name", "a string");
                    if (auto node = item["pid"])
                        target.pid = bounded(ctx, node, "pid", 1, 0x7fffffff);
                }
                if (target.target.empty())
                    ctx.fail(item, "a funclatency target is empty");
                if (target.name.empty())
                    target.name = target.target;
                if (!names.insert(target.name).second)
                    ctx.fail(item, "two funclatency targets are named '" + target.name +
                                       "': give each a distinct 'name:'");
                config.funclatency.push_back(std::move(target));
            }
            if (config.funclatency.size() > config.funclatency_max_targets)
                ctx.fail(targets, std::to_string(config.funclatency.size()) +
                                      " funclatency targets exceed funclatency.max_targets (" +
                                      std::to_string(config.funclatency_max_targets) + ")");
        }
    }
    if (auto pprof = root["pprof"]) {
        check_keys(ctx, pprof, "pprof", {"max_seconds"});
        if (auto node = pprof["max_seconds"])
            config.pprof_max_seconds = bounded(ctx, node, "pprof.max_seconds", 1, 3600);
    }
    return config;
}

ServeConfig load_config_file(const std::string& path, ServeConfig defaults) {
    std::ifstream in(path);
    if (!in)
        throw UserError(errno_message("--config " + path + ": cannot read the file", errno));
    std::ostringstream text;
    text << in.rdbuf();
    return parse_config(text.str(), path, std::move(defaults));
}

ListenAddress parse_listen_address(const std::string& text) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
        throw UserError("listen address '" + text +
                        "': expected HOST:PORT, e.g. 127.0.0.1:9435 or [::1]:9435");
    ListenAddress address;
    address.host = text.substr(0, colon);
    if (address.host.size() > 2 && address.host.front() == '[' && address.host.back() == ']')
        address.host = address.host.substr(1, address.host.size() - 2);
    std::string port = text.substr(colon + 1);
    if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
        std::stoi(port) > 65535)
        throw UserError("listen address '" + text + "': port '" + port +
                        "' is not a number from 0 to 65535");
    address.port = std::stoi(port);
    return address;
}

}  // namespace bpfscope::serve
