// Package lifecycle carries the one client-lifetime knob the C ABI needs and Go users
// must not see: include/klient.h promises that a handle's ready fd stays valid after
// klient_*_close until klient_*_destroy, while core's Close releases everything.
// core installs the implementation at init; internal/ keeps it out of the public API.
package lifecycle

// KeepReadyFD makes the client's Close leave its readiness descriptor open; the
// client's Release then closes it. client is a *core.Producer or *core.Consumer.
var KeepReadyFD func(client any)
