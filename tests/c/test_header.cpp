// The header must compile as C++ (extern "C", no C-only constructs) with
// -Wall -Wextra -Werror, and the library must be callable from C++.
#include "klient.h"

#include <cstdio>
#include <cstring>
#include <string>

int main() {
    int failed = 0, passed = 0;
    auto check = [&](bool ok, const char *what) {
        if (ok) { passed++; } else { failed++; std::fprintf(stderr, "FAIL %s\n", what); }
    };
    check(klient_abi_version() == KLIENT_ABI_VERSION, "abi version");
    check(std::strlen(klient_version()) > 0, "version");
    klient_error_t *err = nullptr;
    klient_producer_t *p = nullptr;
    int rc = klient_producer_new("{oops", &p, &err);
    check(rc == KLIENT_ERR_CONFIG && err && err->code == KLIENT_ERR_CONFIG && p == nullptr, "bad json");
    klient_error_destroy(err);
    char *js = nullptr;
    rc = klient_config_split("{\"bootstrap_servers\":\"x:1\"}", &js, nullptr);
    check(rc == KLIENT_OK && js && std::string(js).find("bootstrap.servers") != std::string::npos, "split");
    klient_free(js);
    klient_message_t m{};
    m.topic = "t";
    m.partition = -1;
    check(klient_producer_produce_async(nullptr, &m, nullptr, nullptr) == KLIENT_ERR_INVALID_ARGUMENT, "null handle");
    check(klient_producer_destroy(nullptr) == KLIENT_OK, "destroy null");
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
