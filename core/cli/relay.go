package cli

import "errors"

func runRelayStream(a *app, args []string) error {
	if a.str("group") == "" {
		return usagef("relay stream needs --group")
	}
	if a.str("transactional-id") == "" {
		return usagef("relay stream needs --transactional-id")
	}
	if a.changed("transform") {
		if _, err := compileTransform(a.str("transform")); err != nil {
			return err
		}
	}
	return errors.New("relay stream is not available yet: the core relay (core/relay.go) is not merged")
}
