/* `ccodex storage-server`'s HTTP request handling: each input is the raw
 * bytes of one client connection to a storage server with one stored object
 * (call id "fuzzobj"), so GETs of it stream a body and PUTs store new ones. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_exchange.h"
#include "portable/storage_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cx_storage_server *server; /* one for the run: see fuzz_serve_http.c */
    static int port, inputs;
    if (!server) {
        char root[] = "/tmp/cx-fuzz-storage-XXXXXX";
        if (!mkdtemp(root)) abort();
        cx_error err;
        server = cx__storage_server_new("127.0.0.1", 0, root, NULL, NULL, &err);
        if (!server || cx__storage_server_start(server) != 0) abort();
        port = cx__storage_server_port(server);
        char obj[600];
        snprintf(obj, sizeof obj, "%s/objects/fuzzobj.bin", cx__storage_server_root(server));
        FILE *f = fopen(obj, "wb");
        if (!f) abort();
        for (int i = 0; i < 4096; i++)
            fputs("object bytes ", f);
        fclose(f);
    }
    http_exchange(port, data, size, 300, NULL, 0);
    if (++inputs % 64 == 0) http_still_serves(port, "/healthz");
    return 0;
}
