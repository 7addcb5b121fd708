#pragma once
// The description HAProxy 2.6 gives each statistics column, printed by
// `show stat typed desc` after each field (`...:"description"`). Interface
// text, like the column names: read off HAProxy's own `show stat typed desc`
// output (every column, including the SSL/H2/H1 modules'); the integration
// test compares them with it.

#include <array>
#include <string_view>

#include "balancer/stats/columns.h"

namespace tandem::balancer::stats {

inline constexpr std::array<std::string_view, kColumnNames.size()> kColumnDescs = {{
    "Proxy name",  // pxname
    "Server name",  // svname
    "Number of current queued connections",  // qcur
    "Highest value of queued connections encountered since process started",  // qmax
    "Number of current sessions on the frontend, backend or server",  // scur
    "Highest value of current sessions encountered since process started",  // smax
    "Frontend/listener/server's maxconn, backend's fullconn",  // slim
    "Total number of sessions since process started",  // stot
    "Total number of request bytes since process started",  // bin
    "Total number of response bytes since process started",  // bout
    "Total number of denied requests since process started",  // dreq
    "Total number of denied responses since process started",  // dresp
    "Total number of invalid requests since process started",  // ereq
    "Total number of failed connections to server since the worker process started",  // econ
    "Total number of invalid responses since the worker process started",  // eresp
    "Total number of server connection retries since the worker process started",  // wretr
    "Total number of server redispatches due to connection failures since the worker process started",  // wredis
    "Frontend/listen status: OPEN/WAITING/FULL/STOP; backend: UP/DOWN; server: last check status",  // status
    "Server's effective weight, or sum of active servers' effective weights for a backend",  // weight
    "Total number of active UP servers with a non-zero weight",  // act
    "Total number of backup UP servers with a non-zero weight",  // bck
    "Total number of failed individual health checks per server/backend, since the worker process started",  // chkfail
    "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started",  // chkdown
    "How long ago the last server state changed, in seconds",  // lastchg
    "Total time spent in DOWN state, for server or backend",  // downtime
    "Limit on the number of connections in queue, for servers only (maxqueue argument)",  // qlimit
    "Relative worker process number (1)",  // pid
    "Frontend or Backend numeric identifier ('id' setting)",  // iid
    "Server numeric identifier ('id' setting)",  // sid
    "Throttling ratio applied to a server's maxconn and weight during the slowstart period (0 to 100%)",  // throttle
    "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)",  // lbtot
    "Name of the other server this server tracks for its state",  // tracked
    "Type of the object (Listener, Frontend, Backend, Server)",  // type
    "Total number of sessions processed by this object over the last second (sessions for listeners/frontends, requests for backends/servers)",  // rate
    "Limit on the number of sessions accepted in a second (frontend only, 'rate-limit sessions' setting)",  // rate_lim
    "Highest value of sessions per second observed since the worker process started",  // rate_max
    "Status report of the server's latest health check, prefixed with '*' if a check is currently in progress",  // check_status
    "HTTP/SMTP/LDAP status code reported by the latest server health check",  // check_code
    "Total duration of the latest server health check, in milliseconds",  // check_duration
    "Total number of HTTP responses with status 100-199 returned by this object since the worker process started",  // hrsp_1xx
    "Total number of HTTP responses with status 200-299 returned by this object since the worker process started",  // hrsp_2xx
    "Total number of HTTP responses with status 300-399 returned by this object since the worker process started",  // hrsp_3xx
    "Total number of HTTP responses with status 400-499 returned by this object since the worker process started",  // hrsp_4xx
    "Total number of HTTP responses with status 500-599 returned by this object since the worker process started",  // hrsp_5xx
    "Total number of HTTP responses with status <100, >599 returned by this object since the worker process started (error -1 included)",  // hrsp_other
    "Total number of failed checks caused by an 'on-error' directive after an 'observe' condition matched",  // hanafail
    "Number of HTTP requests processed over the last second on this object",  // req_rate
    "Highest value of http requests observed since the worker process started",  // req_rate_max
    "Total number of HTTP requests processed by this object since the worker process started",  // req_tot
    "Total number of requests or connections aborted by the client since the worker process started",  // cli_abrt
    "Total number of requests or connections aborted by the server since the worker process started",  // srv_abrt
    "Total number of bytes submitted to the HTTP compressor for this object since the worker process started",  // comp_in
    "Total number of bytes emitted by the HTTP compressor for this object since the worker process started",  // comp_out
    "Total number of bytes that bypassed HTTP compression for this object since the worker process started (CPU/memory/bandwidth limitation)",  // comp_byp
    "Total number of HTTP responses that were compressed for this object since the worker process started",  // comp_rsp
    "How long ago some traffic was seen on this object on this worker process, in seconds",  // lastsess
    "Short description of the latest health check report for this server (see also check_desc)",  // last_chk
    "Short description of the latest agent check report for this server (see also agent_desc)",  // last_agt
    "Time spent in the queue, in milliseconds, averaged over the 1024 last requests (backend/server)",  // qtime
    "Time spent waiting for a connection to complete, in milliseconds, averaged over the 1024 last requests (backend/server)",  // ctime
    "Time spent waiting for a server response, in milliseconds, averaged over the 1024 last requests (backend/server)",  // rtime
    "Total request+response time (request+queue+connect+response+processing), in milliseconds, averaged over the 1024 last requests (backend/server)",  // ttime
    "Status report of the server's latest agent check, prefixed with '*' if a check is currently in progress",  // agent_status
    "Status code reported by the latest server agent check",  // agent_code
    "Total duration of the latest server agent check, in milliseconds",  // agent_duration
    "Textual description of the latest health check report for this server",  // check_desc
    "Textual description of the latest agent check report for this server",  // agent_desc
    "Number of successful health checks before declaring a server UP (server 'rise' setting)",  // check_rise
    "Number of failed health checks before declaring a server DOWN (server 'fall' setting)",  // check_fall
    "Current server health check level (0..fall-1=DOWN, fall..rise-1=UP)",  // check_health
    "Number of successful agent checks before declaring a server UP (server 'rise' setting)",  // agent_rise
    "Number of failed agent checks before declaring a server DOWN (server 'fall' setting)",  // agent_fall
    "Current server agent check level (0..fall-1=DOWN, fall..rise-1=UP)",  // agent_health
    "Server's address:port, shown only if show-legends is set, or at levels oper/admin for the CLI",  // addr
    "Backend's cookie name or Server's cookie value, shown only if show-legends is set, or at levels oper/admin for the CLI",  // cookie
    "'mode' setting (tcp/http/health/cli)",  // mode
    "Backend's load balancing algorithm, shown only if show-legends is set, or at levels oper/admin for the CLI",  // algo
    "Number of new connections accepted over the last second on the frontend for this worker process",  // conn_rate
    "Highest value of connections per second observed since the worker process started",  // conn_rate_max
    "Total number of new connections accepted on this frontend since the worker process started",  // conn_tot
    "Total number of HTTP requests intercepted on the frontend (redirects/stats/services) since the worker process started",  // intercepted
    "Total number of incoming connections blocked on a listener/frontend by a tcp-request connection rule since the worker process started",  // dcon
    "Total number of incoming sessions blocked on a listener/frontend by a tcp-request connection rule since the worker process started",  // dses
    "Total number of failed HTTP header rewrites since the worker process started",  // wrew
    "Total number of outgoing connection attempts on this backend/server since the worker process started",  // connect
    "Total number of reused connection on this backend/server since the worker process started",  // reuse
    "Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started",  // cache_lookups
    "Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started",  // cache_hits
    "Current number of idle connections available for reuse on this server",  // srv_icur
    "Limit on the number of available idle connections on this server (server 'pool_max_conn' directive)",  // src_ilim
    "Maximum observed time spent in the queue, in milliseconds (backend/server)",  // qtime_max
    "Maximum observed time spent waiting for a connection to complete, in milliseconds (backend/server)",  // ctime_max
    "Maximum observed time spent waiting for a server response, in milliseconds (backend/server)",  // rtime_max
    "Maximum observed total request+response time (request+queue+connect+response+processing), in milliseconds (backend/server)",  // ttime_max
    "Total number of internal errors since process started",  // eint
    "Current number of unsafe idle connections",  // idle_conn_cur
    "Current number of safe idle connections",  // safe_conn_cur
    "Current number of connections in use",  // used_conn_cur
    "Estimated needed number of connections",  // need_conn_est
    "Server's user weight, or sum of active servers' user weights for a backend",  // uweight
    "Backend's aggregated gauge of servers' status",  // agg_server_status
    "Backend's aggregated gauge of servers' state check status",  // agg_server_check_status
    "Backend's aggregated gauge of servers' state check status",  // agg_check_status
    "",  // - (the separator before the modules' columns)
    "Total number of ssl sessions established",  // ssl_sess
    "Total number of ssl sessions reused",  // ssl_reused_sess
    "Total number of failed handshake",  // ssl_failed_handshake
    "Total number of received HEADERS frames",  // h2_headers_rcvd
    "Total number of received DATA frames",  // h2_data_rcvd
    "Total number of received SETTINGS frames",  // h2_settings_rcvd
    "Total number of received RST_STREAM frames",  // h2_rst_stream_rcvd
    "Total number of received GOAWAY frames",  // h2_goaway_rcvd
    "Total number of connection protocol errors",  // h2_detected_conn_protocol_errors
    "Total number of stream protocol errors",  // h2_detected_strm_protocol_errors
    "Total number of RST_STREAM sent on detected error",  // h2_rst_stream_resp
    "Total number of GOAWAY sent on detected error",  // h2_goaway_resp
    "Count of currently open connections",  // h2_open_connections
    "Count of currently open streams",  // h2_backend_open_streams
    "Total number of connections",  // h2_total_connections
    "Total number of streams",  // h2_backend_total_streams
    "Count of currently open connections",  // h1_open_connections
    "Count of currently open streams",  // h1_open_streams
    "Total number of connections",  // h1_total_connections
    "Total number of streams",  // h1_total_streams
    "Total number of bytes received",  // h1_bytes_in
    "Total number of bytes send",  // h1_bytes_out
    "Total number of bytes received using kernel splicing",  // h1_spliced_bytes_in
    "Total number of bytes sendusing kernel splicing",  // h1_spliced_bytes_out
}};

}  // namespace tandem::balancer::stats
