#include "support/background_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace bpfscope::test {

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv) {
    int out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0)
        throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        dup2(out_pipe[1], 1);
        dup2(err_pipe[1], 2);
        std::vector<char*> args;
        for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    reader_ = std::thread([this, out = out_pipe[0], err = err_pipe[0]] { read_loop(out, err); });
}

BackgroundProcess::~BackgroundProcess() {
    if (!reaped_) {
        kill(pid_, SIGKILL);
        int status = 0;
        waitpid(pid_, &status, 0);
    }
    if (reader_.joinable())
        reader_.join();
}

void BackgroundProcess::read_loop(int out_fd, int err_fd) {
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0) {
        int ready = poll(fds, 2, 200);
        if (ready < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buffer[65536];
            ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
            std::lock_guard lock(mutex_);
            if (n <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            } else {
                (i == 0 ? result_.out : result_.err).append(buffer, size_t(n));
            }
            changed_.notify_all();
        }
    }
    std::lock_guard lock(mutex_);
    streams_closed_ = true;
    changed_.notify_all();
}

bool BackgroundProcess::wait_for_output(const std::string& text,
                                        std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    auto printed = [&] {
        return result_.err.find(text) != std::string::npos ||
               result_.out.find(text) != std::string::npos;
    };
    changed_.wait_for(lock, timeout, [&] { return printed() || streams_closed_; });
    return printed();
}

void BackgroundProcess::signal(int signal_number) {
    if (!reaped_)
        kill(pid_, signal_number);
}

ProcessResult BackgroundProcess::stop(int signal_number, std::chrono::milliseconds timeout) {
    signal(signal_number);
    return wait(timeout);
}

bool BackgroundProcess::reap_until(std::chrono::steady_clock::time_point deadline) {
    if (reaped_)
        return true;
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    reaped_ = true;
    std::lock_guard lock(mutex_);
    if (WIFEXITED(status))
        result_.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) {
        result_.exit_code = -1;
        result_.signal = WTERMSIG(status);
    }
    return true;
}

bool BackgroundProcess::exited_within(std::chrono::milliseconds timeout) {
    return reap_until(std::chrono::steady_clock::now() + timeout);
}

ProcessResult BackgroundProcess::wait(std::chrono::milliseconds timeout) {
    if (!reap_until(std::chrono::steady_clock::now() + timeout)) {
        kill(pid_, SIGKILL);
        reap_until(std::chrono::steady_clock::time_point::max());
    }
    if (reader_.joinable())
        reader_.join();
    std::lock_guard lock(mutex_);
    return result_;
}

std::string BackgroundProcess::output_so_far() {
    std::lock_guard lock(mutex_);
    return result_.err + result_.out;
}

}  // namespace bpfscope::test
