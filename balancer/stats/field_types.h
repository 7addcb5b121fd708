#pragma once
// The type and the tags HAProxy 2.6 gives each statistics column in its
// typed output (`show stat typed`, `show stat json`): ORIGIN NATURE SCOPE
// letters (K key, M metric, S status, C config; N name, G gauge, C counter,
// M max, L limit, R rate, a average, D duration, O output, A age; P process,
// S service) and u32/u64/s32/str. Read off HAProxy's own `show stat typed`
// (a backend row differs from frontend and server rows for act, bck, rate
// and rate_max); the integration test compares them with it.

#include <array>
#include <string_view>

#include "balancer/stats/columns.h"

namespace tandem::balancer::stats {

struct FieldType {
  std::string_view tags;  // frontend and server rows
  std::string_view type;
  std::string_view backend_tags;  // backend rows
  std::string_view backend_type;
};

inline constexpr std::array<FieldType, kColumnNames.size()> kFieldTypes = {{
    {"KNS", "str", "KNS", "str"},  // pxname
    {"KNS", "str", "KNS", "str"},  // svname
    {"MGP", "u32", "MGP", "u32"},  // qcur
    {"MMP", "u32", "MMP", "u32"},  // qmax
    {"MGP", "u32", "MGP", "u32"},  // scur
    {"MMP", "u32", "MMP", "u32"},  // smax
    {"CLP", "u32", "CLP", "u32"},  // slim
    {"MCP", "u64", "MCP", "u64"},  // stot
    {"MCP", "u64", "MCP", "u64"},  // bin
    {"MCP", "u64", "MCP", "u64"},  // bout
    {"MCP", "u64", "MCP", "u64"},  // dreq
    {"MCP", "u64", "MCP", "u64"},  // dresp
    {"MCP", "u64", "MCP", "u64"},  // ereq
    {"MCP", "u64", "MCP", "u64"},  // econ
    {"MCP", "u64", "MCP", "u64"},  // eresp
    {"MCP", "u64", "MCP", "u64"},  // wretr
    {"MCP", "u64", "MCP", "u64"},  // wredis
    {"SGP", "str", "SGP", "str"},  // status
    {"MaP", "u32", "MaP", "u32"},  // weight
    {"SGP", "u32", "MGP", "u32"},  // act
    {"SGP", "u32", "MGP", "u32"},  // bck
    {"MCP", "u64", "MCP", "u64"},  // chkfail
    {"MCP", "u64", "MCP", "u64"},  // chkdown
    {"MAP", "u32", "MAP", "u32"},  // lastchg
    {"MCP", "u32", "MCP", "u32"},  // downtime
    {"CGS", "u32", "CGS", "u32"},  // qlimit
    {"KGP", "u32", "KGP", "u32"},  // pid
    {"KGS", "u32", "KGS", "u32"},  // iid
    {"KGS", "u32", "KGS", "u32"},  // sid
    {"MaP", "u32", "MaP", "u32"},  // throttle
    {"MCP", "u64", "MCP", "u64"},  // lbtot
    {"CNS", "str", "CNS", "str"},  // tracked
    {"CGS", "u32", "CGS", "u32"},  // type
    {"MRP", "u32", "MGP", "u32"},  // rate
    {"CLP", "u32", "CLP", "u32"},  // rate_lim
    {"MMP", "u32", "MGP", "u32"},  // rate_max
    {"MOP", "str", "MOP", "str"},  // check_status
    {"MOP", "u32", "MOP", "u32"},  // check_code
    {"MDP", "u64", "MDP", "u64"},  // check_duration
    {"MCP", "u64", "MCP", "u64"},  // hrsp_1xx
    {"MCP", "u64", "MCP", "u64"},  // hrsp_2xx
    {"MCP", "u64", "MCP", "u64"},  // hrsp_3xx
    {"MCP", "u64", "MCP", "u64"},  // hrsp_4xx
    {"MCP", "u64", "MCP", "u64"},  // hrsp_5xx
    {"MCP", "u64", "MCP", "u64"},  // hrsp_other
    {"MCP", "u64", "MCP", "u64"},  // hanafail
    {"MRP", "u32", "MRP", "u32"},  // req_rate
    {"MMP", "u32", "MMP", "u32"},  // req_rate_max
    {"MCP", "u64", "MCP", "u64"},  // req_tot
    {"MCP", "u64", "MCP", "u64"},  // cli_abrt
    {"MCP", "u64", "MCP", "u64"},  // srv_abrt
    {"MCP", "u64", "MCP", "u64"},  // comp_in
    {"MCP", "u64", "MCP", "u64"},  // comp_out
    {"MCP", "u64", "MCP", "u64"},  // comp_byp
    {"MCP", "u64", "MCP", "u64"},  // comp_rsp
    {"MAP", "s32", "MAP", "s32"},  // lastsess
    {"MOP", "str", "MOP", "str"},  // last_chk
    {"MOP", "str", "MOP", "str"},  // last_agt
    {"MaP", "u32", "MaP", "u32"},  // qtime
    {"MaP", "u32", "MaP", "u32"},  // ctime
    {"MaP", "u32", "MaP", "u32"},  // rtime
    {"MaP", "u32", "MaP", "u32"},  // ttime
    {"MOP", "str", "MOP", "str"},  // agent_status
    {"MOP", "u32", "MOP", "u32"},  // agent_code
    {"MDP", "u64", "MDP", "u64"},  // agent_duration
    {"MOP", "str", "MOP", "str"},  // check_desc
    {"MOP", "str", "MOP", "str"},  // agent_desc
    {"CGS", "u32", "CGS", "u32"},  // check_rise
    {"CGS", "u32", "CGS", "u32"},  // check_fall
    {"CGS", "u32", "CGS", "u32"},  // check_health
    {"CGS", "u32", "CGS", "u32"},  // agent_rise
    {"CGS", "u32", "CGS", "u32"},  // agent_fall
    {"CGS", "u32", "CGS", "u32"},  // agent_health
    {"CGS", "str", "CGS", "str"},  // addr
    {"CNS", "str", "CNS", "str"},  // cookie
    {"CGS", "str", "CGS", "str"},  // mode
    {"CGS", "str", "CGS", "str"},  // algo
    {"MRP", "u32", "MRP", "u32"},  // conn_rate
    {"MMP", "u32", "MMP", "u32"},  // conn_rate_max
    {"MCP", "u64", "MCP", "u64"},  // conn_tot
    {"MCP", "u64", "MCP", "u64"},  // intercepted
    {"MCP", "u64", "MCP", "u64"},  // dcon
    {"MCP", "u64", "MCP", "u64"},  // dses
    {"MCP", "u64", "MCP", "u64"},  // wrew
    {"MCP", "u64", "MCP", "u64"},  // connect
    {"MCP", "u64", "MCP", "u64"},  // reuse
    {"MCP", "u64", "MCP", "u64"},  // cache_lookups
    {"MCP", "u64", "MCP", "u64"},  // cache_hits
    {"MGP", "u32", "MGP", "u32"},  // srv_icur
    {"CLP", "u32", "CLP", "u32"},  // src_ilim
    {"MMP", "u32", "MMP", "u32"},  // qtime_max
    {"MMP", "u32", "MMP", "u32"},  // ctime_max
    {"MMP", "u32", "MMP", "u32"},  // rtime_max
    {"MMP", "u32", "MMP", "u32"},  // ttime_max
    {"MCP", "u64", "MCP", "u64"},  // eint
    {"MGP", "u32", "MGP", "u32"},  // idle_conn_cur
    {"MGP", "u32", "MGP", "u32"},  // safe_conn_cur
    {"MGP", "u32", "MGP", "u32"},  // used_conn_cur
    {"MGP", "u32", "MGP", "u32"},  // need_conn_est
    {"MaP", "u32", "MaP", "u32"},  // uweight
    {"MGP", "u32", "MGP", "u32"},  // agg_server_status
    {"MGP", "u32", "MGP", "u32"},  // agg_server_check_status
    {"MGP", "u32", "MGP", "u32"},  // agg_check_status
    {"", "", "", ""},              // "-": no typed field
    {"MCP", "u64", "MCP", "u64"},  // ssl_sess
    {"MCP", "u64", "MCP", "u64"},  // ssl_reused_sess
    {"MCP", "u64", "MCP", "u64"},  // ssl_failed_handshake
    {"MCP", "u64", "MCP", "u64"},  // h2_headers_rcvd
    {"MCP", "u64", "MCP", "u64"},  // h2_data_rcvd
    {"MCP", "u64", "MCP", "u64"},  // h2_settings_rcvd
    {"MCP", "u64", "MCP", "u64"},  // h2_rst_stream_rcvd
    {"MCP", "u64", "MCP", "u64"},  // h2_goaway_rcvd
    {"MCP", "u64", "MCP", "u64"},  // h2_detected_conn_protocol_errors
    {"MCP", "u64", "MCP", "u64"},  // h2_detected_strm_protocol_errors
    {"MCP", "u64", "MCP", "u64"},  // h2_rst_stream_resp
    {"MCP", "u64", "MCP", "u64"},  // h2_goaway_resp
    {"MGP", "u64", "MGP", "u64"},  // h2_open_connections
    {"MGP", "u64", "MGP", "u64"},  // h2_backend_open_streams
    {"MCP", "u64", "MCP", "u64"},  // h2_total_connections
    {"MCP", "u64", "MCP", "u64"},  // h2_backend_total_streams
    {"MGP", "u64", "MGP", "u64"},  // h1_open_connections
    {"MGP", "u64", "MGP", "u64"},  // h1_open_streams
    {"MCP", "u64", "MCP", "u64"},  // h1_total_connections
    {"MCP", "u64", "MCP", "u64"},  // h1_total_streams
    {"MCP", "u64", "MCP", "u64"},  // h1_bytes_in
    {"MCP", "u64", "MCP", "u64"},  // h1_bytes_out
    {"MCP", "u64", "MCP", "u64"},  // h1_spliced_bytes_in
    {"MCP", "u64", "MCP", "u64"},  // h1_spliced_bytes_out
}};

}  // namespace tandem::balancer::stats
