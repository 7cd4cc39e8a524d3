package klient

import (
	"regexp"
	"strings"
)

// maxTopicLen is Kafka's limit on topic names.
const maxTopicLen = 249

// ValidateTopic checks name against Kafka's rules for topic names (1 to 249 characters
// of ASCII letters, digits, '.', '_' and '-'; not "." or ".."), so that a bad name —
// invalid UTF-8 from C, a typo with a space — is a clear error at the call, not a
// delivery failure minutes later. With allowPattern, a name starting with '^' is a
// regular-expression subscription (librdkafka's syntax) and only has to compile.
func ValidateTopic(op, name string, allowPattern bool) error {
	if name == "" {
		return newError(KindInvalidArgument, op, "topic name must not be empty")
	}
	if i := strings.IndexByte(name, 0); i >= 0 {
		// librdkafka takes C strings: "t\x00evil" would name topic "t".
		return newError(KindInvalidArgument, op, "topic name %q contains a NUL byte at byte %d", name, i)
	}
	if allowPattern && name[0] == '^' {
		if _, err := regexp.Compile(name); err != nil {
			return newError(KindInvalidArgument, op, "topic pattern %q does not compile: %v", name, err)
		}
		return nil
	}
	if len(name) > maxTopicLen {
		return newError(KindInvalidArgument, op, "topic name is %d characters long; Kafka allows at most %d", len(name), maxTopicLen)
	}
	if name == "." || name == ".." {
		return newError(KindInvalidArgument, op, "topic name %q is not allowed", name)
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '_' || b == '-') {
			return newError(KindInvalidArgument, op, "topic name %q contains %q at byte %d; Kafka allows only ASCII letters, digits, '.', '_' and '-'", name, string(rune(b)), i)
		}
	}
	return nil
}
