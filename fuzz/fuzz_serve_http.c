/* `ccodex serve`'s HTTP request handling: each input is the raw bytes of one
 * client connection (request line, headers, body, pipelined requests...) to
 * a responses server whose backend port refuses connections, so a valid
 * /v1/responses request runs through translation to a backend failure. */
#include <stdint.h>
#include <stdlib.h>

#include "http_exchange.h"
#include "server/rserver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* one server for the whole run: starting one per input would measure
       start-up, not request handling (fuzz harness state, not library state) */
    static cx_rserver *server;
    static int port, inputs;
    if (!server) {
        cx_rserver_options o = {.host = "127.0.0.1",
                                .port = 0,
                                .downstream_base_url = "http://127.0.0.1:9/v1",
                                .idle_timeout_ms = 2000};
        cx_error err;
        server = cx__rserver_new(&o, &err);
        if (!server || cx__rserver_start(server) != 0) abort();
        port = cx__rserver_port(server);
    }
    http_exchange(port, data, size, 300, NULL, 0);
    if (++inputs % 64 == 0) http_still_serves(port, "/healthz");
    return 0;
}
