// A real browser: headless Chromium (Debian's chromium) loads a flame graph
// SVG we generated; the test drives it over the DevTools protocol
// (--remote-debugging-pipe: JSON messages separated by NUL on fds 3 and 4),
// hovers and clicks a frame with real input events, answers the search
// prompt, reloads, and keeps a screenshot in the build directory.
// Needs no root (label unit); without Chromium the test is skipped.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/preconditions.h"
#include "support/process.h"

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

const char* const kChromium = "/usr/bin/chromium";

std::string artifact_dir() {
    std::string dir = std::string(BPFSCOPE_BUILD_DIR) + "/test-artifacts/flamegraph";
    fs::create_directories(dir);
    return dir;
}

std::string base64_decode(const std::string& text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z')
            return c - 'A';
        if (c >= 'a' && c <= 'z')
            return c - 'a' + 26;
        if (c >= '0' && c <= '9')
            return c - '0' + 52;
        if (c == '+')
            return 62;
        if (c == '/')
            return 63;
        return -1;
    };
    std::string out;
    int bits = 0;
    unsigned buffer = 0;
    for (char c : text) {
        int v = value(c);
        if (v < 0)
            continue;
        buffer = (buffer << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xff);
        }
    }
    return out;
}

// One headless Chromium in its own process group, driven over the pipe.
class Browser {
  public:
    explicit Browser(const std::string& user_data_dir) {
        int to_browser[2], from_browser[2];
        if (pipe2(to_browser, O_CLOEXEC) != 0 || pipe2(from_browser, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe failed");
        }
        std::string log_path = artifact_dir() + "/chromium.log";
        pid_ = fork();
        if (pid_ < 0)
            throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            setpgid(0, 0);
            // Move the pipe ends out of the way before placing them on 3 and 4.
            int in = fcntl(to_browser[0], F_DUPFD, 10);
            int out = fcntl(from_browser[1], F_DUPFD, 10);
            dup2(in, 3);
            dup2(out, 4);
            int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (log >= 0) {
                dup2(log, 1);
                dup2(log, 2);
            }
            std::string profile = "--user-data-dir=" + user_data_dir;
            execl(kChromium, kChromium, "--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--window-size=1300,400", "--remote-debugging-pipe", profile.c_str(),
                  "about:blank", static_cast<char*>(nullptr));
            _exit(127);
        }
        setpgid(pid_, pid_);
        group_ = pid_;
        close(to_browser[0]);
        close(from_browser[1]);
        write_fd_ = to_browser[1];
        read_fd_ = from_browser[0];
    }

    ~Browser() {
        try {
            send("Browser.close", json::object());
        } catch (...) {
        }
        for (int i = 0; i < 50; i++) {
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(100ms);
        }
        // The whole process group is ours: the browser and its helpers.
        if (group_ > 0)
            kill(-group_, SIGKILL);
        if (pid_ > 0)
            waitpid(pid_, nullptr, 0);
        close(write_fd_);
        close(read_fd_);
    }

    Browser(const Browser&) = delete;
    Browser& operator=(const Browser&) = delete;

    std::string session;  // the page session all page commands go to

    int send(const std::string& method, json params, bool to_page = false) {
        int id = next_id_++;
        json message = {{"id", id}, {"method", method}, {"params", std::move(params)}};
        if (to_page)
            message["sessionId"] = session;
        std::string text = message.dump();
        text += '\0';
        size_t done = 0;
        while (done < text.size()) {
            ssize_t n = write(write_fd_, text.data() + done, text.size() - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                throw std::runtime_error("write to chromium failed");
            done += static_cast<size_t>(n);
        }
        return id;
    }

    json result(int id, std::chrono::milliseconds timeout = 30s) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!responses_.count(id)) read_one(deadline);
        json response = responses_[id];
        responses_.erase(id);
        if (response.contains("error")) {
            throw std::runtime_error("chromium: " + response["error"].dump());
        }
        return response["result"];
    }

    json call(const std::string& method, json params = json::object(), bool to_page = true) {
        return result(send(method, std::move(params), to_page));
    }

    json wait_event(const std::string& method, std::chrono::milliseconds timeout = 30s) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            for (auto it = events_.begin(); it != events_.end(); ++it) {
                if ((*it)["method"] == method) {
                    json event = *it;
                    events_.erase(it);
                    return event;
                }
            }
            read_one(deadline);
        }
    }

    void clear_events() { events_.clear(); }

    json evaluate(const std::string& expression) {
        json r = call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}});
        if (r.contains("exceptionDetails")) {
            throw std::runtime_error("script failed: " + r["exceptionDetails"].dump());
        }
        return r["result"]["value"];
    }

    void mouse(const std::string& type, double x, double y, int click_count = 1) {
        json params = {{"type", type}, {"x", x}, {"y", y}};
        if (type != "mouseMoved") {
            params["button"] = "left";
            params["clickCount"] = click_count;
        }
        call("Input.dispatchMouseEvent", params);
    }

    void click(double x, double y) {
        mouse("mouseMoved", x, y);
        mouse("mousePressed", x, y);
        mouse("mouseReleased", x, y);
    }

  private:
    void read_one(std::chrono::steady_clock::time_point deadline) {
        while (true) {
            size_t end = buffer_.find('\0');
            if (end != std::string::npos) {
                json message = json::parse(buffer_.substr(0, end));
                buffer_.erase(0, end + 1);
                if (message.contains("id")) {
                    responses_[message["id"].get<int>()] = message;
                } else {
                    events_.push_back(message);
                }
                return;
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                throw std::runtime_error("timed out waiting for chromium");
            pollfd fd = {read_fd_, POLLIN, 0};
            int ready = poll(&fd, 1, static_cast<int>(left.count()));
            if (ready < 0 && errno == EINTR)
                continue;
            if (ready <= 0)
                continue;
            char chunk[65536];
            ssize_t n = read(read_fd_, chunk, sizeof chunk);
            if (n <= 0) {
                throw std::runtime_error("chromium closed the pipe (see " + artifact_dir() +
                                         "/chromium.log)");
            }
            buffer_.append(chunk, static_cast<size_t>(n));
        }
    }

    pid_t pid_ = -1;
    pid_t group_ = -1;
    int write_fd_ = -1;
    int read_fd_ = -1;
    int next_id_ = 1;
    std::string buffer_;
    std::map<int, json> responses_;
    std::deque<json> events_;
};

// Center of an element's box in page coordinates, and its width.
struct Box {
    double x, y, width;
};

Box box_of(Browser& browser, const std::string& element_expression) {
    json r = browser.evaluate("(function(){ var e = " + element_expression +
                              "; var b = e.getBoundingClientRect();"
                              " return {x: b.left + b.width / 2, y: b.top + b.height / 2,"
                              " width: b.width}; })()");
    return {r["x"].get<double>(), r["y"].get<double>(), r["width"].get<double>()};
}

std::string frame_rect(const std::string& name) {
    return "Array.from(document.querySelectorAll('#frames > g')).find(function (g) {"
           " return g.querySelector('title').textContent.indexOf(" +
           json(name + " (").dump() + ") === 0; }).querySelector('rect')";
}

double rect_width(Browser& browser, const std::string& name) {
    return std::stod(
        browser.evaluate(frame_rect(name) + ".getAttribute('width')").get<std::string>());
}

bool frame_hidden(Browser& browser, const std::string& name) {
    return browser.evaluate(frame_rect(name) + ".parentNode.classList.contains('hide')")
        .get<bool>();
}

void answer_search_prompt(Browser& browser, const std::string& term) {
    Box search = box_of(browser, "document.getElementById('search')");
    browser.mouse("mouseMoved", search.x, search.y);
    browser.mouse("mousePressed", search.x, search.y);
    // The click opens prompt(), which blocks the page until it is answered:
    // send the release, answer the dialog, then collect the release's result.
    int release = browser.send("Input.dispatchMouseEvent",
                               {{"type", "mouseReleased"},
                                {"x", search.x},
                                {"y", search.y},
                                {"button", "left"},
                                {"clickCount", 1}},
                               true);
    json dialog = browser.wait_event("Page.javascriptDialogOpening");
    EXPECT_EQ(dialog["params"]["type"], "prompt");
    browser.call("Page.handleJavaScriptDialog", {{"accept", true}, {"promptText", term}});
    browser.result(release);
}

std::string matched_text(Browser& browser) {
    return browser.evaluate("document.getElementById('matched').textContent").get<std::string>();
}

}  // namespace

TEST(FlamegraphChromium, ClickZoomsSearchMatchesStateSurvivesReload) {
    BPFSCOPE_REQUIRE_PROGRAM(kChromium);
    std::string dir = artifact_dir();
    std::string folded = dir + "/chromium.folded";
    std::string svg = dir + "/chromium.svg";
    {
        std::ofstream out(folded);
        out << "app;main;compute;inner 60\n"
               "app;main;compute;x<&\"' 5\n"
               "app;main;io_wait 30\n"
               "app;other 10\n";
    }
    auto rendered =
        bpfscope::test::run_process({bpfscope::test::bin("bpfscope"), "flamegraph", "--hash",
                                     "--title", "chromium test", "-o", svg, folded});
    ASSERT_EQ(rendered.exit_code, 0) << rendered.err;

    std::string user_data = dir + "/chromium-profile";
    fs::remove_all(user_data);
    Browser browser(user_data);
    json targets = browser.call("Target.getTargets", json::object(), false);
    std::string target_id;
    for (const auto& target : targets["targetInfos"]) {
        if (target["type"] == "page")
            target_id = target["targetId"];
    }
    ASSERT_FALSE(target_id.empty()) << targets.dump();
    browser.session = browser.call(
        "Target.attachToTarget", {{"targetId", target_id}, {"flatten", true}}, false)["sessionId"];
    browser.call("Page.enable");
    browser.call("Page.navigate", {{"url", "file://" + svg}});
    browser.wait_event("Page.loadEventFired");

    // Before: widths are shares of the whole (1180 px drawable, total 105).
    const double drawable = 1180;
    EXPECT_NEAR(rect_width(browser, "inner"), drawable * 60 / 105, 0.11);
    EXPECT_NEAR(rect_width(browser, "compute"), drawable * 65 / 105, 0.11);
    EXPECT_FALSE(frame_hidden(browser, "io_wait"));

    // Hover: the details line names the frame with its count and share.
    Box compute = box_of(browser, frame_rect("compute"));
    browser.mouse("mouseMoved", compute.x, compute.y);
    EXPECT_EQ(browser.evaluate("document.getElementById('details').textContent").get<std::string>(),
              "Function: compute (65 samples, 61.90%)");

    // Click compute: it fills the width, its children scale, siblings hide.
    browser.click(compute.x, compute.y);
    EXPECT_NEAR(rect_width(browser, "compute"), drawable, 0.11);
    EXPECT_NEAR(rect_width(browser, "inner"), drawable * 60 / 65, 0.11);
    EXPECT_NEAR(box_of(browser, frame_rect("inner")).width, drawable * 60 / 65, 0.5);
    EXPECT_TRUE(frame_hidden(browser, "io_wait"));
    EXPECT_TRUE(frame_hidden(browser, "other"));
    EXPECT_FALSE(frame_hidden(browser, "main"));
    EXPECT_FALSE(browser.evaluate("document.getElementById('unzoom').classList.contains('hide')")
                     .get<bool>());

    // Search through the real prompt: share of the total, nested counted once.
    answer_search_prompt(browser, "^(inner|io_wait)$");
    EXPECT_EQ(matched_text(browser), "Matched: 85.7%");  // (60 + 30) / 105
    // Case toggle, then a new search.
    Box reset_search = box_of(browser, "document.getElementById('search')");
    browser.click(reset_search.x, reset_search.y);  // now "Reset Search": no prompt
    EXPECT_EQ(matched_text(browser), " ");
    Box ignore_case = box_of(browser, "document.getElementById('ignorecase')");
    browser.click(ignore_case.x, ignore_case.y);
    answer_search_prompt(browser, "^INNER|X<");
    EXPECT_EQ(matched_text(browser), "Matched: 61.9%");  // (60 + 5) / 105, case ignored

    // The names with markup survived escaping.
    EXPECT_EQ(browser
                  .evaluate("Array.from(document.querySelectorAll('#frames title')).some("
                            "function (t) { return t.textContent.indexOf('x<&\"\\' (5 ') === 0; })")
                  .get<bool>(),
              true);

    std::string screenshot_path = dir + "/flamegraph_chromium.png";
    {
        json shot = browser.call("Page.captureScreenshot", {{"format", "png"}});
        std::string png = base64_decode(shot["data"].get<std::string>());
        ASSERT_GT(png.size(), 1000u);
        EXPECT_EQ(png.substr(1, 3), "PNG");
        std::ofstream(screenshot_path, std::ios::binary) << png;
    }

    // Zoom, search and case live in the URL and survive a reload.
    std::string search = browser.evaluate("window.location.search").get<std::string>();
    EXPECT_NE(search.find("x="), std::string::npos) << search;
    EXPECT_NE(search.find("s="), std::string::npos) << search;
    EXPECT_NE(search.find("ic=1"), std::string::npos) << search;
    browser.clear_events();
    browser.call("Page.reload");
    browser.wait_event("Page.loadEventFired");
    EXPECT_EQ(matched_text(browser), "Matched: 61.9%");
    EXPECT_NEAR(rect_width(browser, "compute"), drawable, 0.11);
    EXPECT_TRUE(frame_hidden(browser, "io_wait"));

    // Reset zoom restores the original widths.
    Box reset = box_of(browser, "document.getElementById('unzoom')");
    browser.click(reset.x, reset.y);
    EXPECT_NEAR(rect_width(browser, "inner"), drawable * 60 / 105, 0.11);
    EXPECT_FALSE(frame_hidden(browser, "io_wait"));
    std::cerr << "screenshot: " << screenshot_path << "\n";
}
