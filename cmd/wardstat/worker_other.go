//go:build !linux

package main

// smallStacks: only Linux counts thread stacks in the data limit.
func smallStacks() {}

// dieWithServer: only Linux kills a child with its parent.
func dieWithServer() {}
