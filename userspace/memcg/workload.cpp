#include "memcg/workload.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/error.h"
#include "memcg/cgroup_tree.h"

namespace bpfscope::memcg {

namespace {

uint64_t monotonic_ns() {
    timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

// What every forked helper does first: die with the parent (a SIGKILLed
// bpfscope cannot clean up, but its helpers must not run on), and leave
// Ctrl-C to the parent, which stops the run and cleans up in order.
void become_helper_child(pid_t parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
        ::_exit(0);
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
}

[[noreturn]] void writer_loop(const WriterOptions& options, pid_t parent) {
    int memfd = ::memfd_create("bpfscope-memcg-writer", MFD_CLOEXEC);
    std::vector<char> block(options.file_bytes, 'w');
    const long page = ::sysconf(_SC_PAGESIZE);
    while (true) {
        void* area = ::mmap(nullptr, options.anon_bytes, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (area != MAP_FAILED) {
            auto* bytes = static_cast<volatile char*>(area);
            for (size_t offset = 0; offset < options.anon_bytes; offset += size_t(page))
                bytes[offset] = 1;
            ::munmap(area, options.anon_bytes);
        }
        if (memfd >= 0 && !block.empty()) {
            if (::pwrite(memfd, block.data(), block.size(), 0) < 0) {
                // shmem full or charge refused: keep the anonymous part going
            }
            if (::ftruncate(memfd, 0) != 0) {
            }
        }
        if (::getppid() != parent)
            ::_exit(0);
        if (options.pause_us)
            ::usleep(options.pause_us);
    }
}

}  // namespace

size_t timed_stat_reads(const std::string& path, uint64_t* out, size_t reads, unsigned delay_us,
                        const std::atomic<bool>* stop, size_t* bytes, int* error) {
    static thread_local char buffer[65536];
    const char* file = path.c_str();
    size_t done = 0;
    for (; done < reads; done++) {
        if (stop && stop->load(std::memory_order_relaxed))
            break;
        uint64_t start = monotonic_ns();
        int fd = ::open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (error)
                *error = errno;
            break;
        }
        size_t total = 0;
        while (true) {
            ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                if (n < 0 && error)
                    *error = errno;
                break;
            }
            total += size_t(n);
        }
        ::close(fd);
        uint64_t end = monotonic_ns();
        if (delay_us) {
            uint64_t until = end + uint64_t(delay_us) * 1000;
            while ((end = monotonic_ns()) < until) {
            }
        }
        out[done] = end - start;
        if (bytes)
            *bytes = total;
        if (error && *error)
            break;
    }
    return done;
}

// ---------------------------------------------------------------- writers

WriterPool::WriterPool(const CgroupTree& tree, const WriterOptions& options) {
    if (options.count < 0 || options.count > 256)
        throw UserError("--writers must be between 0 and 256");
    int go[2];
    if (::pipe2(go, O_CLOEXEC) != 0)
        throw UserError(errno_message("pipe", errno));
    pid_t parent = ::getpid();
    std::fflush(nullptr);
    try {
        for (int i = 0; i < options.count; i++) {
            pid_t pid = ::fork();
            if (pid < 0)
                throw UserError(errno_message("fork of a writer", errno));
            if (pid == 0) {
                become_helper_child(parent);
                ::close(go[1]);
                char byte;
                // EOF instead of a byte: the parent gave up, leave quietly.
                if (::read(go[0], &byte, 1) != 1)
                    ::_exit(0);
                ::close(go[0]);
                writer_loop(options, parent);
            }
            pids_.push_back(pid);
            const auto& leaves = tree.leaves();
            tree.move_process(leaves[size_t(i) % leaves.size()], pid);
        }
    } catch (...) {
        ::close(go[0]);
        ::close(go[1]);
        stop();
        throw;
    }
    ::close(go[0]);
    for (size_t i = 0; i < pids_.size(); i++) {
        if (::write(go[1], "g", 1) != 1)
            break;
    }
    ::close(go[1]);
}

int WriterPool::alive() const {
    int running = 0;
    for (pid_t pid : pids_) {
        int status;
        if (::waitpid(pid, &status, WNOHANG) == 0)
            running++;
    }
    return running;
}

void WriterPool::stop() {
    for (pid_t pid : pids_) ::kill(pid, SIGKILL);
    for (pid_t pid : pids_) {
        int status;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    pids_.clear();
}

WriterPool::~WriterPool() {
    stop();
}

// ---------------------------------------------------------------- reader

struct ReaderProcess::Shared {
    std::atomic<uint64_t> completed;
    std::atomic<int> error;
    uint64_t wall_ns;
    uint64_t bytes_per_read;
    uint64_t latency_ns[];  // options.reads entries
};

ReaderProcess::ReaderProcess(const ReaderOptions& options) : options_(options) {
    if (options.reads == 0)
        throw UserError("--reads must be at least 1");
    shared_bytes_ = sizeof(Shared) + options.reads * sizeof(uint64_t);
    void* area =
        ::mmap(nullptr, shared_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED)
        throw UserError(errno_message("mmap for reader samples", errno));
    shared_ = static_cast<Shared*>(area);
    new (&shared_->completed) std::atomic<uint64_t>(0);
    new (&shared_->error) std::atomic<int>(0);
    int go[2], done[2];
    if (::pipe2(go, O_CLOEXEC) != 0)
        throw UserError(errno_message("pipe", errno));
    if (::pipe2(done, O_CLOEXEC) != 0) {
        ::close(go[0]);
        ::close(go[1]);
        throw UserError(errno_message("pipe", errno));
    }
    pid_t parent = ::getpid();
    std::fflush(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) {
        int err = errno;
        for (int fd : {go[0], go[1], done[0], done[1]}) ::close(fd);
        throw UserError(errno_message("fork of the reader", err));
    }
    if (pid_ == 0) {
        become_helper_child(parent);
        ::close(go[1]);
        ::close(done[0]);
        if (options.cpu >= 0) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(options.cpu, &set);
            if (::sched_setaffinity(0, sizeof set, &set) != 0)
                shared_->error = errno;
        }
        char byte;
        // One run per 'g'; EOF on the go pipe ends the reader.
        while (::read(go[0], &byte, 1) == 1 && !shared_->error) {
            int error = 0;
            size_t bytes = 0;
            uint64_t start = monotonic_ns();
            size_t completed =
                timed_stat_reads(options.stat_path, shared_->latency_ns, options.reads,
                                 options.delay_us, nullptr, &bytes, &error);
            shared_->wall_ns = monotonic_ns() - start;
            shared_->bytes_per_read = bytes;
            shared_->completed = completed;
            shared_->error = error;
            if (::write(done[1], "d", 1) != 1)
                ::_exit(1);
        }
        ::_exit(0);
    }
    ::close(go[0]);
    ::close(done[1]);
    go_fd_ = go[1];
    done_fd_ = done[0];
}

ReaderRun ReaderProcess::run(const std::function<bool()>& stop) {
    ReaderRun result;
    if (pid_ <= 0)
        throw UserError("the reader process is gone (interrupted earlier)");
    shared_->completed = 0;
    PerfCounterSet counters(pid_);
    counters.enable();
    if (::write(go_fd_, "g", 1) != 1)
        throw UserError(errno_message("starting the reader", errno));
    bool finished = false;
    while (!finished) {
        if (stop && stop()) {
            result.interrupted = true;
            break;
        }
        pollfd fd{done_fd_, POLLIN, 0};
        int ready = ::poll(&fd, 1, 50);
        if (ready > 0) {
            char byte;
            finished = ::read(done_fd_, &byte, 1) == 1;
            if (!finished)
                break;  // the reader died without reporting
        }
    }
    counters.disable();
    result.counters = counters.read();
    if (!finished) {
        kill_and_reap();
        if (result.interrupted)
            return result;
        throw UserError("the reader process died before finishing its reads");
    }
    if (int err = shared_->error.load()) {
        kill_and_reap();
        throw UserError(errno_message("reading " + options_.stat_path, err));
    }
    size_t completed = shared_->completed.load();
    result.latency_ns.assign(shared_->latency_ns, shared_->latency_ns + completed);
    result.wall_ns = shared_->wall_ns;
    result.bytes_per_read = shared_->bytes_per_read;
    return result;
}

void ReaderProcess::kill_and_reap() {
    if (go_fd_ >= 0)
        ::close(go_fd_);
    if (done_fd_ >= 0)
        ::close(done_fd_);
    go_fd_ = done_fd_ = -1;
    if (pid_ > 0) {
        // Closing the go pipe lets a finished reader exit; a busy one is killed.
        int status;
        bool gone = false;
        for (int i = 0; i < 20 && !gone; i++) {
            gone = ::waitpid(pid_, &status, WNOHANG) == pid_;
            if (!gone)
                ::usleep(1000);
        }
        if (!gone) {
            ::kill(pid_, SIGKILL);
            while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
            }
        }
        pid_ = -1;
    }
}

ReaderProcess::~ReaderProcess() {
    kill_and_reap();
    if (shared_)
        ::munmap(shared_, shared_bytes_);
}

}  // namespace bpfscope::memcg
