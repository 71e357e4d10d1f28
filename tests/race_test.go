//go:build race

package tests

// raceEnabled: the race detector keeps shadow memory for every allocation, so
// RSS figures mean nothing under it.
const raceEnabled = true
