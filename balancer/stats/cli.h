#pragma once
// HAProxy's runtime API ("CLI") language, as spoken on `stats socket`: one
// line of commands separated by ';', each answer followed by an empty line;
// the connection closes after the line unless `prompt` made the session
// interactive, in which case each answer is followed by "> ". Pure: lines
// in, text out; cli_server.h carries it over a unix socket.

#include <string>
#include <string_view>

#include "balancer/stats/stats_source.h"

namespace tandem::balancer::stats {

// `stats socket ... level user|operator|admin`, lowest first.
enum class CliLevel { user = 0, operator_ = 1, admin = 2 };
std::optional<CliLevel> parse_cli_level(std::string_view s);

class CliSession {
 public:
  // Each line reads the configuration serving when it arrives (a reload
  // between two lines of an interactive session is seen by the second).
  CliSession(StatsProvider provider, CliLevel level) : provider_(std::move(provider)), level_(level) {}
  // One fixed source (tests).
  CliSession(StatsSource& src, CliLevel level)
      : CliSession([&src] { return std::shared_ptr<StatsSource>(std::shared_ptr<StatsSource>(), &src); }, level) {}

  // Runs one input line (without its newline). Returns what to write back;
  // `close` is set when the connection must end after writing it.
  std::string feed(std::string_view line, bool& close);
  bool interactive() const { return interactive_; }
  CliLevel level() const { return level_; }

 private:
  std::string run(std::string_view command, bool& close);
  std::string show_info() const;
  std::string show_servers_state(std::string_view backend) const;
  std::string show_sess() const;
  std::string help(std::string_view prefix) const;
  std::string unknown(std::string_view first_word) const;

  StatsProvider provider_;
  StatsSource* src_ = nullptr;  // provider_'s answer, for the line being run
  CliLevel level_;
  bool interactive_ = false;
};

}  // namespace tandem::balancer::stats
