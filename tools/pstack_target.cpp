// pstack workload: threads blocked in libc calls (built without frame pointers in
// Debian) under known C++ call chains, one of them through an inlined function.
//   main -> Server::serve -> (inlined) Server::wait_for_request -> read (libc)
//   worker threads: worker_main -> Worker::idle -> nanosleep (libc)
// Prints "ready <pid>" once the threads are started; runs until killed.
// usage: pstack_target [workers=3]
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace pstackwork {

class Worker {
  public:
    __attribute__((noinline)) void idle() {
        timespec request{3600, 0};
        while (nanosleep(&request, nullptr) == 0) {
        }
        __asm__ volatile("" ::: "memory");
    }
};

class Server {
  public:
    explicit Server(int fd) : fd_(fd) {}
    __attribute__((noinline)) void serve() {
        for (;;) {
            if (wait_for_request() <= 0)
                break;
        }
        __asm__ volatile("" ::: "memory");
    }

  private:
    // Always inlined into serve(): DWARF records it as an inlined frame.
    __attribute__((always_inline)) inline long wait_for_request() {
        char byte;
        return read(fd_, &byte, 1);
    }
    int fd_;
};

}  // namespace pstackwork

extern "C" __attribute__((noinline)) void* worker_main(void*) {
    pstackwork::Worker().idle();
    return nullptr;
}

int main(int argc, char** argv) {
    int workers = argc > 1 ? std::atoi(argv[1]) : 3;
    int fds[2];
    if (pipe(fds) != 0)
        return 1;
    for (int i = 0; i < workers; i++) {
        pthread_t thread;
        if (pthread_create(&thread, nullptr, worker_main, nullptr) != 0)
            return 1;
    }
    std::printf("ready %d\n", getpid());
    std::fflush(stdout);
    pstackwork::Server(fds[0]).serve();
    return 0;
}
