// bpfscope stat: perf stat for A/B work. Runs a command N times under perf event
// counters (software always, hardware where a PMU exists, tracepoints with -e),
// keeps every run (--out), and `stat compare A.json B.json` calls a difference
// only when the bootstrap interval, the run-to-run spread and a minimum effect all
// agree: the rule memcg compare uses (core/statistics.h).
#include <cstring>
#include <fstream>
#include <iostream>

#include "base/options.h"
#include "core/capabilities.h"
#include "core/command_stat.h"
#include "core/tool_registry.h"
#include "report/model.h"
#include "report/write_report.h"

namespace {

int compare_main(int argc, char** argv) {
    bpfscope::ToolOptions cli("stat compare",
                              "Compare two bpfscope stat --out files (A is the baseline)");
    std::string a_path, b_path;
    bool json = false;
    cli.app().add_option("A", a_path, "the baseline file")->required();
    cli.app().add_option("B", b_path, "the file compared with it")->required();
    cli.json(json);
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;
    auto a = bpfscope::load_stat_file(a_path);
    auto b = bpfscope::load_stat_file(b_path);
    bpfscope::report::write_report(std::cout, bpfscope::stat_comparison(a, b, a_path, b_path),
                                   json);
    return 0;
}

int stat_main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "compare") == 0)
        return compare_main(argc - 1, argv + 1);
    bpfscope::ToolOptions cli(
        "stat", "Count a command's events over N runs (stat compare A B: A/B verdict)");
    uint64_t runs = 1;
    std::string out_path;
    std::vector<std::string> events, command;
    bool json = false;
    cli.app()
        .add_option_function<std::string>(
            "-r,--runs",
            [&runs](const std::string& text) {
                runs = bpfscope::parse_positive_count("--runs", text, 1000);
            },
            "run the command N times (default 1)")
        ->type_name("N");
    cli.output_file("-o,--out", out_path, "also write every run to FILE (JSON, for stat compare)");
    // One value per -e (repeat it): a greedy list would swallow the "--" before the command.
    cli.app()
        .add_option("-e,--event", events,
                    "also count tracepoints CAT:NAME (wildcards: 'sched:*'); repeatable")
        ->allow_extra_args(false);
    cli.json(json);
    cli.app().add_option("command", command, "the command, after --")->required()->expected(-1);
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;

    std::vector<bpfscope::CounterSpec> specs = bpfscope::command_counter_specs();
    for (const auto& event : events)
        for (auto& spec : bpfscope::tracepoint_counter_specs(event)) specs.push_back(spec);
    bpfscope::StatRuns result;
    result.command = command;
    result.kernel_release = bpfscope::kernel_facts().release;
    for (uint64_t i = 0; i < runs; ++i)
        result.runs.push_back(bpfscope::run_counted(command, specs));
    if (!out_path.empty()) {
        // Written whole to a temporary name, then renamed: never a half-written file.
        std::string temporary = out_path + ".tmp";
        {
            std::ofstream out(temporary);
            out << bpfscope::stat_document(result);
            if (!out.flush())
                throw bpfscope::UserError(
                    bpfscope::errno_message("cannot write " + out_path, errno));
        }
        if (std::rename(temporary.c_str(), out_path.c_str()) != 0)
            throw bpfscope::UserError(bpfscope::errno_message("cannot write " + out_path, errno));
    }
    bpfscope::report::write_report(std::cout, bpfscope::stat_report(result), json);
    return 0;
}

}  // namespace

BPFSCOPE_REGISTER_TOOL("stat", "a command's event counts over N runs, and A/B compare of two",
                       stat_main);
