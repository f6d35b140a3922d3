#include "report/stack_outputs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <vector>

#include "base/error.h"
#include "base/logging.h"
#include "base/options.h"
#include "report/flamegraph.h"
#include "report/folded.h"
#include "report/pprof.h"
#include "report/stack_writers.h"
#include "report/text_writer.h"

namespace bpfscope::report {

void add_stack_output_options(CLI::App& app, StackOutputOptions& options) {
    add_output_file_option(app, "--folded", options.folded_path,
                           "Write folded stacks (comm;root;...;leaf COUNT) to FILE");
    add_output_file_option(app, "--svg", options.svg_path,
                           "Write an interactive flame graph SVG to FILE");
    add_output_file_option(app, "--pprof", options.pprof_path,
                           "Write a gzip-compressed pprof profile (profile.proto) to FILE");
    app.add_option("--title", options.title, "Flame graph title");
    app.add_flag("--annotate", options.annotate_frames,
                 "Suffix kernel frames with _[k] and inlined frames with _[i] (folded and SVG)");
}

namespace {

void write_all(int fd, std::string_view content, const std::string& path) {
    while (!content.empty()) {
        ssize_t written = ::write(fd, content.data(), content.size());
        if (written < 0) {
            if (errno == EINTR)
                continue;
            throw UserError(errno_message("cannot write " + path, errno));
        }
        content.remove_prefix(static_cast<size_t>(written));
    }
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view content) {
    if (path == "-") {
        std::fflush(stdout);
        write_all(STDOUT_FILENO, content, "stdout");
        return;
    }
    // A pipe, terminal or /dev/stdout cannot be replaced by a rename: write to it.
    struct stat existing {};
    if (::stat(path.c_str(), &existing) == 0 && !S_ISREG(existing.st_mode) &&
        !S_ISDIR(existing.st_mode)) {
        int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0)
            throw UserError(errno_message("cannot write " + path, errno));
        try {
            write_all(fd, content, path);
        } catch (...) {
            ::close(fd);
            throw;
        }
        ::close(fd);
        return;
    }
    std::string pattern = path + ".tmp.XXXXXX";
    std::vector<char> temp_name(pattern.begin(), pattern.end());
    temp_name.push_back('\0');
    int fd = ::mkstemp(temp_name.data());
    if (fd < 0) {
        throw UserError(errno_message("cannot write " + path, errno));
    }
    std::string temp_path(temp_name.data());
    try {
        write_all(fd, content, path);
        // mkstemp creates 0600; an output file gets the usual 0644 (minus umask).
        mode_t mask = ::umask(0);
        ::umask(mask);
        ::fchmod(fd, 0666 & ~mask);
        if (::close(fd) != 0) {
            fd = -1;
            throw UserError(errno_message("cannot write " + path, errno));
        }
        fd = -1;
        if (::rename(temp_path.c_str(), path.c_str()) != 0) {
            throw UserError(errno_message("cannot write " + path, errno));
        }
    } catch (...) {
        if (fd >= 0)
            ::close(fd);
        ::unlink(temp_path.c_str());
        throw;
    }
}

std::string default_count_name(const StackProfile& profile) {
    if (profile.unit.empty() || profile.unit == "count")
        return "samples";
    if (profile.unit == "nanoseconds")
        return "ns";
    if (profile.unit == "microseconds")
        return "us";
    if (profile.unit == "milliseconds")
        return "ms";
    if (profile.unit == "seconds")
        return "s";
    return profile.unit;
}

void write_stack_outputs(const StackProfile& profile, const StackOutputOptions& options) {
    if (!options.folded_path.empty()) {
        FoldedWriteOptions folded_options;
        folded_options.annotate_frames = options.annotate_frames;
        write_file_atomically(options.folded_path, to_folded(profile, folded_options));
    }
    // SVG and pprof treat a profile with nothing in it alike: no file, one
    // warning (an interval with no stacks must not end an -i run).
    bool nothing = std::all_of(profile.samples.begin(), profile.samples.end(),
                               [](const StackSample& sample) { return sample.value == 0; });
    for (const std::string* path : {&options.svg_path, &options.pprof_path}) {
        if (nothing && !path->empty())
            spdlog::warn("no stacks with a nonzero count were recorded{}; not writing {}",
                         profile.samples.empty() ? "" : " (all counts are zero)", *path);
    }
    if (!options.svg_path.empty() && !nothing) {
        FoldedWriteOptions folded_options;
        folded_options.annotate_frames = options.annotate_frames;
        FoldedStacks stacks = folded_stacks_from_profile(profile, folded_options);
        FlameGraphOptions graph;
        graph.title = options.title.empty() && profile.sample_type == "offcpu"
                          ? "Off-CPU Time Flame Graph"
                          : options.title;
        graph.subtitle = options.subtitle;
        graph.count_name =
            options.count_name.empty() ? default_count_name(profile) : options.count_name;
        graph.colors = options.colors.empty() ? (profile.sample_type == "offcpu" ? "io" : "hot")
                                              : options.colors;
        graph.hash = true;  // the same function keeps its colour across runs
        FlameLayout layout = layout_flame_graph(stacks, graph);
        write_file_atomically(options.svg_path, render_flame_graph_svg(stacks, layout, graph));
    }
    if (!options.pprof_path.empty() && !nothing) {
        PprofNotes notes;
        std::string encoded = encode_pprof(profile, &notes);
        if (std::string warning = pprof_notes_warning(notes); !warning.empty())
            spdlog::warn("{}: {}", options.pprof_path, warning);
        write_file_atomically(options.pprof_path, encoded);
    }
}

void write_stack_result(const StackProfile& profile, const Report& report,
                        const StackResultOptions& options, std::ostream& out, std::ostream& err) {
    if (options.json) {
        out << stack_profile_json(profile, report);
    } else if (options.folded_stdout) {
        out << to_folded(profile);
        write_text(err, report);
    } else {
        out << render_stacks_text(profile, options.value_label);
        write_text(out, report);
    }
    out.flush();
    write_stack_outputs(profile, options.files);
}

void write_stack_result(const StackProfile& profile, const Report& report,
                        const StackResultOptions& options) {
    write_stack_result(profile, report, options, std::cout, std::cerr);
}

}  // namespace bpfscope::report
