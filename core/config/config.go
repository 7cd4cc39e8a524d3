// Package config loads klient's environment-aware configuration: one JSON file
// (~/.kafka/config.json by default) holding a "default" object and named environments,
// merged shallowly, normalised to librdkafka property names and split by role.
package config

import (
	"bytes"
	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Map is a set of Kafka client properties keyed by librdkafka names
// ("bootstrap.servers"). Values are strings, numbers or booleans.
type Map = map[string]any

// DefaultBootstrap is used when no configuration names a broker.
const DefaultBootstrap = "localhost:9092"

// Role sections that a configuration object may carry besides flat properties.
const (
	SectionProducer = "producer"
	SectionConsumer = "consumer"
	SectionAdmin    = "admin"
)

// ErrFileNotFound is wrapped by LoadFile when the file does not exist.
var ErrFileNotFound = errors.New("config file not found")

// ErrMalformed is wrapped by LoadFile when the file is not a JSON object.
var ErrMalformed = errors.New("malformed config file")

// DefaultPath is ~/.kafka/config.json; $KLIENT_CONFIG_FILE overrides it.
func DefaultPath() string {
	if p := os.Getenv("KLIENT_CONFIG_FILE"); p != "" {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".kafka", "config.json")
	}
	return filepath.Join(home, ".kafka", "config.json")
}

// File is a parsed configuration file.
type File struct {
	Path string
	Doc  map[string]any
}

// LoadFile reads and parses path ("" means DefaultPath). A syntax error names the file,
// line and column.
func LoadFile(path string) (*File, error) {
	if path == "" {
		path = DefaultPath()
	}
	data, err := readBounded(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrFileNotFound, path)
		}
		return nil, fmt.Errorf("reading config file %s: %w", path, err)
	}
	doc, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrMalformed, path, err)
	}
	return &File{Path: path, Doc: doc}, nil
}

// MaxFileSize bounds a config file: a path such as /dev/zero or a log file given by
// mistake is refused with a clear error instead of being read until memory runs out.
const MaxFileSize = 16 << 20

// ErrTooLarge is wrapped by LoadFile when the file exceeds MaxFileSize.
var ErrTooLarge = errors.New("config file too large")

// readBounded reads at most MaxFileSize bytes of path (a device or pipe has no size to
// check up front, so the read itself is bounded).
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s is a directory, expected a JSON file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d MiB", ErrTooLarge, path, MaxFileSize>>20)
	}
	return data, nil
}

// Parse decodes a configuration document, which must be a JSON object.
func Parse(data []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("file is empty, expected a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			line, col := position(data, syn.Offset)
			return nil, fmt.Errorf("line %d, column %d: %v", line, col, syn)
		}
		line, col := position(data, dec.InputOffset())
		return nil, fmt.Errorf("line %d, column %d: %v", line, col, err)
	}
	if dec.More() {
		line, col := position(data, dec.InputOffset())
		return nil, fmt.Errorf("line %d, column %d: unexpected data after the JSON object", line, col)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("top level is %s, expected a JSON object", JSONKind(doc))
	}
	return obj, nil
}

func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	line, col = 1, 1
	for _, b := range data[:offset] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// JSONKind names the JSON type of a decoded value ("an array", "a string", ...) for
// error messages.
func JSONKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// Environments lists the named environments of the file (every top-level object but
// "default"), sorted.
func (f *File) Environments() []string {
	var names []string
	for k, v := range f.Doc {
		if _, ok := v.(map[string]any); ok && k != "default" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return names
}

// HasEnv reports whether the file defines env.
func (f *File) HasEnv(env string) bool {
	_, ok := f.Doc[env].(map[string]any)
	return ok
}

// Resolve returns the raw (not normalised) configuration for env: "default" overlaid by
// the env object (env values win). With env == "" it is "default", or the whole
// document when there is no "default". A missing env yields an empty map.
func (f *File) Resolve(env string) map[string]any {
	def, hasDefault := f.Doc["default"].(map[string]any)
	if env == "" {
		if hasDefault {
			return copyMap(def)
		}
		return copyMap(f.Doc)
	}
	named, ok := f.Doc[env].(map[string]any)
	if !ok {
		return map[string]any{}
	}
	out := copyMap(def)
	for k, v := range named {
		out[k] = v
	}
	return out
}

// ResolveEnv loads path ("" = default path) and resolves env. A missing file yields an
// empty map (callers fall back to explicit arguments), as in the replaced library.
func ResolveEnv(path, env string) (map[string]any, error) {
	f, err := LoadFile(path)
	if errors.Is(err, ErrFileNotFound) {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, err
	}
	return f.Resolve(env), nil
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// NormalizeKey turns a Python-style key (bootstrap_servers) into the librdkafka name
// (bootstrap.servers). log_level is the one librdkafka property spelt with an
// underscore; it is accepted in both spellings.
func NormalizeKey(k string) string {
	k = strings.ReplaceAll(strings.TrimSpace(k), "_", ".")
	if k == "log.level" {
		return "log_level"
	}
	return k
}

// Sections is a resolved configuration split by role. Each role map holds the flat
// (common) properties overlaid by that role's section, all with librdkafka names.
type Sections struct {
	Common, Producer, Consumer, Admin Map
}

// Split normalises raw and splits it into role maps. Nested objects other than the
// three role sections are rejected, since librdkafka properties are scalars.
func Split(raw map[string]any) (Sections, error) {
	s := Sections{Common: Map{}, Producer: Map{}, Consumer: Map{}, Admin: Map{}}
	roles := map[string]Map{SectionProducer: s.Producer, SectionConsumer: s.Consumer, SectionAdmin: s.Admin}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := raw[k]
		if role, ok := roles[k]; ok {
			sub, isMap := v.(map[string]any)
			if !isMap {
				return s, fmt.Errorf("config section %q must be an object, got %s", k, JSONKind(v))
			}
			for sk, sv := range sub {
				val, err := Scalar(sk, sv)
				if err != nil {
					return s, err
				}
				role[NormalizeKey(sk)] = val
			}
			continue
		}
		val, err := Scalar(k, v)
		if err != nil {
			return s, err
		}
		s.Common[NormalizeKey(k)] = val
	}
	for _, role := range roles {
		for k, v := range s.Common {
			if _, set := role[k]; !set {
				role[k] = v
			}
		}
	}
	return s, nil
}

// Scalar converts a decoded JSON value into a librdkafka property value.
func Scalar(key string, v any) (any, error) {
	switch x := v.(type) {
	case string, bool, int, int32, int64:
		return x, nil
	case float64:
		if x == float64(int64(x)) {
			return int64(x), nil
		}
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		return x.String(), nil
	case nil:
		return nil, fmt.Errorf("config property %q is null", key)
	}
	return nil, fmt.Errorf("config property %q must be a string, number or boolean, got %s", key, JSONKind(v))
}

// Masked is what every dump prints in place of a secret: the marker of the replaced
// glean-klient CLI, so that scripts grepping its output keep working.
const Masked = "***MASKED***"

// librdkafkaSensitive is librdkafka's own list of secret properties: the ones flagged
// _RK_SENSITIVE in rdkafka_conf.c (librdkafka 2.11, and the ones master added since),
// which librdkafka itself redacts in its config dumps.
var librdkafkaSensitive = map[string]bool{
	"sasl.username":                                     true,
	"sasl.password":                                     true,
	"sasl.oauthbearer.config":                           true,
	"sasl.oauthbearer.client.secret":                    true,
	"sasl.oauthbearer.assertion.private.key.file":       true,
	"sasl.oauthbearer.assertion.private.key.passphrase": true,
	"sasl.oauthbearer.assertion.private.key.pem":        true,
	"ssl.key.location":                                  true,
	"ssl.key.password":                                  true,
	"ssl.key.pem":                                       true,
	"ssl_key":                                           true,
	"ssl.ca.pem":                                        true,
	"ssl.keystore.password":                             true,
}

// SensitiveProperties lists librdkafka's sensitive properties, sorted (for tests and
// documentation).
func SensitiveProperties() []string {
	out := make([]string, 0, len(librdkafkaSensitive))
	for k := range librdkafkaSensitive {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// sensitiveWords are klient's own rule on top of librdkafka's list, for properties
// librdkafka does not know (Java-client names such as sasl.jaas.config or
// ssl.truststore.password, application secrets in a config file). "key" is the
// replaced CLI's rule, kept so that nothing it masked is shown now.
var sensitiveWords = []string{"password", "passphrase", "secret", "token", "credential", "jaas", "private", "key", "sasl.username"}

// IsSensitive reports whether a property holds a secret: one of librdkafka's sensitive
// properties, or a name containing one of sensitiveWords. It errs on the side of
// masking. Every face (CLI dumps, the C ABI, Python reprs) masks through it.
func IsSensitive(key string) bool {
	k := strings.ToLower(NormalizeKey(key))
	if librdkafkaSensitive[k] || librdkafkaSensitive[strings.ToLower(strings.TrimSpace(key))] {
		return true
	}
	for _, w := range sensitiveWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// Mask returns a deep copy of m with every sensitive value replaced by Masked. It is
// the one function every dump, log and error message goes through.
func Mask(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch {
		case IsSensitive(k) && v != nil:
			out[k] = Masked
		default:
			if sub, ok := v.(map[string]any); ok {
				out[k] = Mask(sub)
			} else {
				out[k] = v
			}
		}
	}
	return out
}
