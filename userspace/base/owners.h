#pragma once
// RAII owners for kernel objects: file descriptors (maps, programs, perf
// events, cgroup dirs), libbpf links and skeletons. Nothing outlives its owner,
// so an error anywhere detaches everything on the way out.
#include <bpf/libbpf.h>
#include <unistd.h>

#include <memory>
#include <utility>

namespace bpfscope {

class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other)
            reset(std::exchange(other.fd_, -1));
        return *this;
    }
    ~UniqueFd() { reset(); }

    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    explicit operator bool() const { return valid(); }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = fd;
    }

  private:
    int fd_ = -1;
};

struct BpfLinkDeleter {
    void operator()(bpf_link* link) const { bpf_link__destroy(link); }
};
// A program attachment; destroying it detaches.
using BpfLink = std::unique_ptr<bpf_link, BpfLinkDeleter>;

struct BpfObjectDeleter {
    void operator()(bpf_object* object) const { bpf_object__close(object); }
};
using BpfObject = std::unique_ptr<bpf_object, BpfObjectDeleter>;

// Owner for a bpftool-generated skeleton: Skeleton<foo_bpf, foo_bpf__destroy>.
template <typename Skel, void (*Destroy)(Skel*)>
struct SkeletonDeleter {
    void operator()(Skel* skeleton) const { Destroy(skeleton); }
};
template <typename Skel, void (*Destroy)(Skel*)>
using Skeleton = std::unique_ptr<Skel, SkeletonDeleter<Skel, Destroy>>;

}  // namespace bpfscope
