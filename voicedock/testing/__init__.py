"""Test doubles shipped with the package, shared by our tests and our users' tests."""
