/* The floor for "launch -> first request" beside the static release: a static
 * libcurl program (same libcurl, OpenSSL and musl as the release) that POSTs
 * a JSON body to argv[1] and discards the answer, as `curl -X POST` would. */
#include <curl/curl.h>
#include <stdio.h>

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fputs("usage: static_post URL BODY\n", stderr);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_NOTHING);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, argv[1]);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, argv[2]);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    curl_global_cleanup();
    return rc == CURLE_OK ? 0 : 1;
}
