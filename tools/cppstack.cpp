// C++ workload: a demangled method name and an inlined frame on a known
// off-CPU stack: main -> stackwork::Worker::run -> (inlined) pause_briefly -> nanosleep.
// usage: cppstack [iterations=10] [sleep_ms=50] [start_delay_ms=0]
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "stackwork.h"

namespace stackwork {

class Worker {
  public:
    explicit Worker(long sleep_ms) : sleep_ms_(sleep_ms) {}
    __attribute__((noinline)) void run(long iterations);

  private:
    // Always inlined into run(): DWARF records it as an inlined frame.
    __attribute__((always_inline)) inline void pause_briefly() {
        timespec request{sleep_ms_ / 1000, (sleep_ms_ % 1000) * 1000000L};
        STACKWORK_NANOSLEEP(&request);
        pauses_++;
    }
    long sleep_ms_;
    long pauses_ = 0;
};

void Worker::run(long iterations) {
    for (long i = 0; i < iterations; i++) pause_briefly();
    std::printf("pauses=%ld\n", pauses_);
}

}  // namespace stackwork

int main(int argc, char** argv) {
    if (argc > 3)
        usleep(useconds_t(std::atol(argv[3])) * 1000);
    stackwork::Worker worker(argc > 2 ? std::atol(argv[2]) : 50);
    worker.run(argc > 1 ? std::atol(argv[1]) : 10);
    return 0;
}
