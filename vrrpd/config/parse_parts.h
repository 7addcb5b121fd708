#pragma once
// The pieces of the keepalived parser, shared by parser.cpp (top level,
// global_defs, vrrp_script, vrrp_sync_group), instance_parser.cpp and
// validate.cpp. Internal to vrrpd/config.

#include "vrrpd/config/block_lexer.h"
#include "vrrpd/config/model.h"

namespace tandem::vrrpd::config::detail {

// notify_* CMD [USER [GROUP]]: CMD is one word (quote it to pass arguments).
Result<Command> parse_notify(const Node& n);
// A notify_* keyword of instances and sync groups; false when `n` is not one.
Result<bool> parse_notify_keyword(Notify& notify, const Node& n);
// track_script / track_interface entries: NAME [weight N [reverse]].
Result<std::vector<TrackRef>> parse_track_list(const Node& n, int min_weight, int max_weight);

Result<Instance> parse_instance(const Node& n, const GlobalDefs& global);

// Cross-references and limits that need the whole file: versions and
// intervals, script names, sync group members, VRIDs per interface.
Result<void> validate(Config& cfg);

}  // namespace tandem::vrrpd::config::detail
