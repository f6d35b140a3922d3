#pragma once
// A value, or the reason there is none. For code that tries alternatives and
// keeps every reason (the attach planner tries backend after backend); a
// failure the user must act on is thrown as UserError instead. C++20 has no
// std::expected; this is the small part of it we need.
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>  // std::monostate

#include "base/error.h"

namespace bpfscope {

// Why there is no value: one readable clause ("refused by kernel (EPERM)").
struct Unexpected {
    std::string reason;
};

inline Unexpected unexpected(std::string reason) {
    return Unexpected{std::move(reason)};
}

// Expected<T>: a T or an Unexpected. Expected<> carries no value: success or a reason.
template <typename T = std::monostate>
class [[nodiscard]] Expected {
  public:
    Expected()
        requires std::is_same_v<T, std::monostate>
        : value_(std::monostate{}) {}
    Expected(T value) : value_(std::move(value)) {}
    Expected(Unexpected failure) : reason_(std::move(failure.reason)) {}

    bool ok() const { return value_.has_value(); }
    explicit operator bool() const { return ok(); }

    // The reason; empty when ok().
    const std::string& reason() const { return reason_; }

    // The value; throws UserError carrying the reason when there is none.
    T& value() & {
        if (!ok())
            throw UserError(reason_);
        return *value_;
    }
    const T& value() const& {
        if (!ok())
            throw UserError(reason_);
        return *value_;
    }
    T&& value() && { return std::move(value()); }

  private:
    // Not a std::variant: g++ 12 warns (maybe-uninitialized) on assigning one
    // that holds a std::string.
    std::optional<T> value_;
    std::string reason_;
};

}  // namespace bpfscope
