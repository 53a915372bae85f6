# -*- test-case-name: tests.sip.test_message -*-
"""A lock-free cached property for the immutable message values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


class cached_value(Generic[T]):
    """
    Like :func:`functools.cached_property`: the first read computes the value
    and stores it in the instance ``__dict__``, where later reads find it
    without calling back here. Unlike it on Python 3.11, no lock is taken on
    that first read (3.12 dropped the lock too): messages are immutable, so
    two threads racing would only compute the same value twice, and the
    parser's validation computes a dozen of these per message.
    """

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self._compute = compute
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached_value[T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance: object, owner: type | None = None) -> T | cached_value[T]:
        if instance is None:
            return self
        value = instance.__dict__[self._name] = self._compute(instance)
        return value
