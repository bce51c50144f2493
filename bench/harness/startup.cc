// The start-up row: the whole `bpfjit run` process on a 2-instruction program, against
// /bin/true, as a user at a shell sees it (exec, dynamic loading, static initialisers,
// the command line, verifying, compiling and running the program, exit).
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/harness/harness.h"
#include "runtime/isa/asm.h"

extern char** environ;

namespace bpfjit::bench {
namespace {

// One process: wall seconds from spawn to exit, its exit status and what it printed.
struct ProcRun {
  double seconds = 0;
  int status = -1;
  std::string output;
  std::string error;  // the spawn failed
};

ProcRun run_process(const std::vector<std::string>& argv) {
  ProcRun r;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    r.error = "pipe failed";
    return r;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  auto t0 = std::chrono::steady_clock::now();
  int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    r.error = fmt::format("cannot start {}: error {}", argv[0], rc);
    return r;
  }
  char buf[4096];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n <= 0) break;
    if (r.output.size() < 65536) r.output.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.status = status;
  return r;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

StartupResult measure_startup(const std::string& tool, int runs) {
  StartupResult res;
  if (tool.empty()) return res;
  res.measured = true;
  auto insns = assemble("mov %r0, 0\nexit\n");
  if (!insns) {
    res.error = insns.error().to_string();
    return res;
  }
  std::vector<RawInsn> raw = encode(*insns);
  std::error_code ec;
  std::string path =
      (std::filesystem::temp_directory_path(ec) / fmt::format("bpfjit-startup-{}.bin", getpid()))
          .string();
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr ||
        std::fwrite(raw.data(), sizeof(RawInsn), raw.size(), f) != raw.size()) {
      if (f != nullptr) std::fclose(f);
      res.error = fmt::format("cannot write {}", path);
      return res;
    }
    std::fclose(f);
  }
  std::vector<double> tool_s, true_s;
  res.ok = true;
  // Alternately, so that both see the same moment of a shared machine; one warm-up each.
  for (int i = -1; i < runs && res.ok; ++i) {
    ProcRun t = run_process({tool, "run", path});
    ProcRun b = run_process({"/bin/true"});
    if (!t.error.empty() || !b.error.empty()) {
      res.ok = false;
      res.error = !t.error.empty() ? t.error : b.error;
      break;
    }
    // The check: exit 0 and r0 = 0x0 on the last line, as `run` prints it.
    bool good = WIFEXITED(t.status) && WEXITSTATUS(t.status) == 0 && t.output == "0x0\n";
    if (!good) {
      res.ok = false;
      res.error = fmt::format("{} run {} exited {:#x} and printed '{}', want 0 and 0x0", tool,
                              path, t.status, t.output);
      break;
    }
    if (!WIFEXITED(b.status) || WEXITSTATUS(b.status) != 0) {
      res.ok = false;
      res.error = fmt::format("/bin/true exited {:#x}", b.status);
      break;
    }
    if (i < 0) continue;
    tool_s.push_back(t.seconds);
    true_s.push_back(b.seconds);
  }
  std::filesystem::remove(path, ec);
  res.runs = static_cast<int>(tool_s.size());
  if (res.runs > 0) {
    res.tool_median_s = median_of(tool_s);
    res.true_median_s = median_of(true_s);
    res.tool_min_s = *std::min_element(tool_s.begin(), tool_s.end());
    res.true_min_s = *std::min_element(true_s.begin(), true_s.end());
  }
  return res;
}

}  // namespace bpfjit::bench
