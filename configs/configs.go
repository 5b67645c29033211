// Package configs ships fednode's example configuration: dataset schemas for
// the public reference datasets and for the generated demo data.
//
// This package must never hold secrets or data; it holds only schema files.
package configs

import "embed"

// Schemas holds schemas/*.toml.
//
//go:embed schemas/*.toml
var Schemas embed.FS

// Schema returns the content of schemas/NAME.toml.
func Schema(name string) ([]byte, error) { return Schemas.ReadFile("schemas/" + name + ".toml") }
