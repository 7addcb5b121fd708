// A small coverage-guided fuzzer for g++ builds, driving libFuzzer-style
// targets (LLVMFuzzerTestOneInput). g++ has no libFuzzer, but it does have
// -fsanitize-coverage=trace-pc: every basic block of the code under test calls
// __sanitizer_cov_trace_pc(), which we turn into AFL-style edge coverage. An
// input that reaches a new (edge, hit-count bucket) joins the corpus and is
// mutated further.
//
// Usage: fuzz_TARGET [-runs=N] [-max_total_time=SECONDS] [-seed=N]
//                    [-dict=FILE] [-artifact_prefix=DIR/] [CORPUS_DIR_OR_FILE...]
// With only files as arguments it runs each once (reproducing a crash).
// The crashing input is written to ARTIFACT_PREFIXcrash-<hash> before the
// process dies (ASan death callback, or a signal handler without ASan).

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" __attribute__((weak)) void __sanitizer_set_death_callback(void (*)(void));

namespace {

constexpr size_t kMapSize = 1 << 16;
uint8_t g_edges[kMapSize];
uint8_t g_seen[kMapSize];  // the best hit-count bucket seen per edge
thread_local uintptr_t g_prev = 0;

const uint8_t* g_current = nullptr;
size_t g_current_size = 0;
std::string g_artifact_prefix = "./";

uint64_t fnv1a(const uint8_t* d, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; ++i) h = (h ^ d[i]) * 1099511628211ULL;
  return h;
}

void dump_current() {
  if (!g_current) return;
  char name[64];
  std::snprintf(name, sizeof name, "crash-%016llx", static_cast<unsigned long long>(fnv1a(g_current, g_current_size)));
  std::string path = g_artifact_prefix + name;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    ssize_t w = ::write(fd, g_current, g_current_size);
    (void)w;
    ::close(fd);
  }
  const char msg[] = "fuzz_driver: crashing input written to ";
  ssize_t w = ::write(2, msg, sizeof msg - 1);
  w = ::write(2, path.data(), path.size());
  w = ::write(2, "\n", 1);
  (void)w;
}

void on_signal(int sig) {
  dump_current();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

uint8_t bucket(uint8_t hits) {
  if (hits == 0) return 0;
  if (hits < 2) return 1;
  if (hits < 3) return 2;
  if (hits < 4) return 4;
  if (hits < 8) return 8;
  if (hits < 16) return 16;
  if (hits < 32) return 32;
  if (hits < 128) return 64;
  return 128;
}

// Runs one input; true when it reached a new edge or a new hit-count bucket.
bool run_one(const std::vector<uint8_t>& input) {
  std::memset(g_edges, 0, sizeof g_edges);
  g_prev = 0;
  g_current = input.data();
  g_current_size = input.size();
  // Copy into an exact-size heap block so ASan catches reads past the end.
  std::unique_ptr<uint8_t[]> copy(new uint8_t[input.size() ? input.size() : 1]);
  if (!input.empty()) std::memcpy(copy.get(), input.data(), input.size());
  g_current = copy.get();
  LLVMFuzzerTestOneInput(copy.get(), input.size());
  g_current = nullptr;
  bool fresh = false;
  for (size_t i = 0; i < kMapSize; ++i) {
    if (!g_edges[i]) continue;
    uint8_t b = bucket(g_edges[i]);
    if ((g_seen[i] | b) != g_seen[i]) {
      g_seen[i] |= b;
      fresh = true;
    }
  }
  return fresh;
}

std::vector<uint8_t> read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// Parses a libFuzzer/AFL dictionary: lines of "..." with \xHH and \\ \" escapes.
std::vector<std::string> read_dict(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    size_t q = line.find('"');
    size_t e = line.rfind('"');
    if (q == std::string::npos || e <= q) continue;
    std::string tok;
    for (size_t i = q + 1; i < e; ++i) {
      if (line[i] == '\\' && i + 1 < e) {
        char c = line[++i];
        if (c == 'x' && i + 2 < e) {
          tok.push_back(static_cast<char>(std::stoi(line.substr(i + 1, 2), nullptr, 16)));
          i += 2;
        } else if (c == 'n') tok.push_back('\n');
        else if (c == 'r') tok.push_back('\r');
        else if (c == 't') tok.push_back('\t');
        else tok.push_back(c);
      } else {
        tok.push_back(line[i]);
      }
    }
    if (!tok.empty()) out.push_back(tok);
  }
  return out;
}

class Mutator {
 public:
  Mutator(uint64_t seed, std::vector<std::string> dict) : rng_(seed), dict_(std::move(dict)) {}

  std::vector<uint8_t> mutate(std::vector<uint8_t> in, const std::vector<std::vector<uint8_t>>& pool) {
    int rounds = 1 + static_cast<int>(pick(4));
    for (int r = 0; r < rounds; ++r) step(in, pool);
    if (in.size() > 64 * 1024) in.resize(64 * 1024);
    return in;
  }

 private:
  size_t pick(size_t n) { return n ? std::uniform_int_distribution<size_t>(0, n - 1)(rng_) : 0; }

  void step(std::vector<uint8_t>& in, const std::vector<std::vector<uint8_t>>& pool) {
    static const uint8_t interesting[] = {0, 1, 0x7f, 0x80, 0xff, '\r', '\n', ' ', ':', '\t', '0', '9', 'a', 'F', ';'};
    switch (pick(dict_.empty() ? 8 : 10)) {
      case 0:  // flip a bit
        if (!in.empty()) in[pick(in.size())] ^= static_cast<uint8_t>(1u << pick(8));
        break;
      case 1:  // set an interesting byte
        if (!in.empty()) in[pick(in.size())] = interesting[pick(sizeof interesting)];
        break;
      case 2:  // random byte
        if (!in.empty()) in[pick(in.size())] = static_cast<uint8_t>(pick(256));
        break;
      case 3: {  // delete a chunk
        if (in.empty()) break;
        size_t at = pick(in.size()), len = 1 + pick(std::min<size_t>(16, in.size() - at));
        in.erase(in.begin() + static_cast<long>(at), in.begin() + static_cast<long>(at + len));
        break;
      }
      case 4: {  // duplicate a chunk
        if (in.empty()) break;
        size_t at = pick(in.size()), len = 1 + pick(std::min<size_t>(32, in.size() - at));
        std::vector<uint8_t> chunk(in.begin() + static_cast<long>(at), in.begin() + static_cast<long>(at + len));
        in.insert(in.begin() + static_cast<long>(pick(in.size() + 1)), chunk.begin(), chunk.end());
        break;
      }
      case 5: {  // insert interesting bytes
        size_t n = 1 + pick(4);
        for (size_t i = 0; i < n; ++i)
          in.insert(in.begin() + static_cast<long>(pick(in.size() + 1)), interesting[pick(sizeof interesting)]);
        break;
      }
      case 6: {  // splice with another input
        if (pool.empty()) break;
        const auto& other = pool[pick(pool.size())];
        if (other.empty()) break;
        size_t cut = pick(in.size() + 1), from = pick(other.size());
        in.resize(cut);
        in.insert(in.end(), other.begin() + static_cast<long>(from), other.end());
        break;
      }
      case 7: {  // change a decimal digit run into another number
        if (in.empty()) break;
        size_t at = pick(in.size());
        static const char* nums[] = {"0", "-1", "18446744073709551616", "9223372036854775808", "4294967296", "ffffffff", "00"};
        const char* n = nums[pick(7)];
        in.insert(in.begin() + static_cast<long>(at), n, n + std::strlen(n));
        break;
      }
      default: {  // insert or overwrite with a dictionary token
        const std::string& t = dict_[pick(dict_.size())];
        size_t at = pick(in.size() + 1);
        if (pick(2) && at + t.size() <= in.size()) std::memcpy(in.data() + at, t.data(), t.size());
        else in.insert(in.begin() + static_cast<long>(at), t.begin(), t.end());
        break;
      }
    }
  }

  std::mt19937_64 rng_;
  std::vector<std::string> dict_;
};

}  // namespace

extern "C" void __sanitizer_cov_trace_pc() {
  uintptr_t pc = reinterpret_cast<uintptr_t>(__builtin_return_address(0));
  uintptr_t cur = (pc ^ (pc >> 12)) & (kMapSize - 1);
  ++g_edges[(cur ^ g_prev) & (kMapSize - 1)];
  g_prev = cur >> 1;
}

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  long runs = -1;
  double max_time = 0;
  uint64_t seed = 1;
  std::string dict_path;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("-runs=", 0) == 0) runs = std::atol(a.c_str() + 6);
    else if (a.rfind("-max_total_time=", 0) == 0) max_time = std::atof(a.c_str() + 16);
    else if (a.rfind("-seed=", 0) == 0) seed = std::strtoull(a.c_str() + 6, nullptr, 10);
    else if (a.rfind("-dict=", 0) == 0) dict_path = a.substr(6);
    else if (a.rfind("-artifact_prefix=", 0) == 0) g_artifact_prefix = a.substr(17);
    else if (!a.empty() && a[0] == '-') std::fprintf(stderr, "fuzz_driver: ignoring option %s\n", a.c_str());
    else paths.push_back(a);
  }
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(dump_current);
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) ::signal(sig, on_signal);

  std::vector<std::vector<uint8_t>> pool;
  bool only_files = !paths.empty();
  for (const std::string& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      only_files = false;
      std::vector<std::filesystem::path> files;
      for (const auto& e : std::filesystem::directory_iterator(p, ec))
        if (e.is_regular_file()) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) pool.push_back(read_all(f));
    } else {
      pool.push_back(read_all(p));
    }
  }
  for (const auto& in : pool) run_one(in);
  if (only_files && runs < 0 && max_time == 0) {
    std::fprintf(stderr, "fuzz_driver: ran %zu input(s)\n", pool.size());
    return 0;
  }
  if (pool.empty()) pool.push_back({});

  Mutator mutator(seed, dict_path.empty() ? std::vector<std::string>{} : read_dict(dict_path));
  std::mt19937_64 pick_rng(seed ^ 0x9e3779b97f4a7c15ULL);
  auto start = std::chrono::steady_clock::now();
  long n = 0;
  size_t corpus_start = pool.size();
  for (;; ++n) {
    if (runs >= 0 && n >= runs) break;
    if (max_time > 0 && (n & 63) == 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= max_time)
      break;
    const auto& parent = pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(pick_rng)];
    std::vector<uint8_t> child = mutator.mutate(parent, pool);
    if (run_one(child)) pool.push_back(std::move(child));
  }
  size_t edges = 0;
  for (uint8_t b : g_seen) edges += b != 0;
  std::fprintf(stderr, "fuzz_driver: %ld runs, %zu edges, corpus %zu (+%zu new)\n", n, edges, pool.size(),
               pool.size() - corpus_start);
  return 0;
}
