// Package doccheck holds the tests that keep parts of the README generated from the
// code: the list of fuzz targets `make fuzz` runs. It has no code of its own.
package doccheck
