// Package config loads klient's environment-aware configuration: one JSON file
// (~/.kafka/config.json by default) holding a "default" object and named environments,
// merged shallowly, normalised to librdkafka property names and split by role.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
	data, err := os.ReadFile(path)
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

// Normalize returns m with librdkafka key names and scalar values, ignoring role
// sections. It is what a flat additional_config goes through.
func Normalize(m map[string]any) (Map, error) {
	out := Map{}
	for k, v := range m {
		if k == SectionProducer || k == SectionConsumer || k == SectionAdmin {
			continue
		}
		val, err := Scalar(k, v)
		if err != nil {
			return nil, err
		}
		out[NormalizeKey(k)] = val
	}
	return out, nil
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

// Masked is what every dump prints in place of a secret.
const Masked = "********"

var sensitiveWords = []string{"password", "secret", "token", "credential", "jaas", "private", "apikey", "api.key", "keystore", "key.pem", "sasl.username"}

// IsSensitive reports whether a property holds a secret (password, secret, token, key
// material, SASL credentials). It errs on the side of masking.
func IsSensitive(key string) bool {
	k := strings.ToLower(NormalizeKey(key))
	for _, w := range sensitiveWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return strings.HasSuffix(k, ".key") || k == "key"
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
