// base/expected.h: a value or the reason there is none (the attach planner's type).
#include "base/expected.h"

#include <gtest/gtest.h>

#include <string>

using bpfscope::Expected;
using bpfscope::unexpected;

TEST(Expected, ValueOrReason) {
    Expected<int> value = 42;
    ASSERT_TRUE(value.ok());
    EXPECT_EQ(value.value(), 42);
    EXPECT_EQ(value.reason(), "");

    Expected<int> failed = unexpected("refused by kernel (EPERM)");
    EXPECT_FALSE(failed);
    EXPECT_EQ(failed.reason(), "refused by kernel (EPERM)");
    // Asking a failure for its value is the user-facing error it carries.
    try {
        (void)failed.value();
        ADD_FAILURE() << "value() of a failure did not throw";
    } catch (const bpfscope::UserError& error) {
        EXPECT_STREQ(error.what(), "refused by kernel (EPERM)");
    }
}

TEST(Expected, VoidSuccessOrReason) {
    Expected<> done;
    EXPECT_TRUE(done);
    Expected<> not_done = unexpected("kprobes not built into this kernel");
    EXPECT_FALSE(not_done);
    EXPECT_EQ(not_done.reason(), "kprobes not built into this kernel");
    not_done = Expected<>{};
    EXPECT_TRUE(not_done);
}
