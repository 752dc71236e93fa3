"""The public API documents itself: `python -m pydoc slbcert` (and slbcert.Client, slbcert.Bundle,
...) shows a docstring for every public module, class, function, method and property."""

from __future__ import annotations

import dataclasses
import inspect
import pkgutil
import pydoc
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator, List, Tuple

import pytest

import slbcert

PACKAGE_DIR = Path(slbcert.__file__).resolve().parent


def public_modules() -> List[ModuleType]:
    """The package and its submodules whose names do not start with an underscore."""
    names = [info.name for info in pkgutil.iter_modules([str(PACKAGE_DIR)]) if not info.name.startswith("_")]
    return [slbcert] + [import_module(f"slbcert.{name}") for name in sorted(names)]


def defined_here(function: Any) -> bool:
    """Written in this package's source (not made by dataclasses or enum, not inherited from Python)."""
    code = getattr(inspect.unwrap(function), "__code__", None)
    return code is not None and PACKAGE_DIR in Path(code.co_filename).resolve().parents


def own_doc(obj: Any) -> str:
    """The docstring pydoc shows, but not the signature dataclasses put there when there is none."""
    doc = inspect.getdoc(obj) or ""
    if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and doc.startswith(f"{obj.__name__}("):
        return ""
    return doc.strip()


def members(cls: type) -> Iterator[Tuple[str, Any]]:
    """(name, function) of each method and property pydoc lists for `cls` that this package wrote,
    inherited ones included; dunder methods only when they have no documentation inherited."""
    for name in dir(cls):
        if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
            continue
        attribute = inspect.getattr_static(cls, name)
        if isinstance(attribute, property):
            function = attribute.fget
        elif isinstance(attribute, (staticmethod, classmethod)):
            function = attribute.__func__
        elif inspect.isfunction(attribute):
            function = attribute
        else:
            continue  # data: enum members, dataclass fields, constants
        if function is not None and defined_here(function):
            yield name, (attribute if isinstance(attribute, property) else getattr(cls, name))


def public_api() -> Iterator[Tuple[str, Any]]:
    """(dotted name, object) of everything public: each module, `slbcert.__all__`, each module's own
    public classes and functions, and their methods and properties."""
    seen = set()
    for module in public_modules():
        yield module.__name__, module
        names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        for name in names:
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue  # constants (MAX_INPUT_BYTES, library_path, __version__) cannot carry one
            if module is not slbcert and getattr(obj, "__module__", None) != module.__name__:
                continue  # imported from elsewhere: checked where it is defined
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            qualified = f"{obj.__module__}.{obj.__qualname__}"
            yield qualified, obj
            if inspect.isclass(obj):
                for member_name, member in members(obj):
                    yield f"{qualified}.{member_name}", member


def test_the_walk_finds_the_api() -> None:
    """The walk itself reaches what a reader looks for (so an empty walk cannot pass)."""
    names = {name for name, _ in public_api()}
    for expected in ("slbcert", "slbcert.client", "slbcert.bundle.Bundle", "slbcert.client.Client.upload",
                     "slbcert.bundle.Bundle.findings", "slbcert.bundle.Bundle.close", "slbcert.errors.ServiceError",
                     "slbcert.signing.sign", "slbcert.deploy.DeployReport"):
        assert expected in names
    assert len(names) > 150


def test_every_public_module_class_function_method_and_property_has_a_docstring() -> None:
    missing = [name for name, obj in public_api() if not own_doc(obj)]
    assert missing == [], "no docstring: " + ", ".join(missing)


@pytest.mark.parametrize("name", ["slbcert", "slbcert.Client", "slbcert.Bundle", "slbcert.Certificate",
                                  "slbcert.Finding", "slbcert.ServiceError", "slbcert.DeployReport"])
def test_pydoc_renders(name: str) -> None:
    text = pydoc.render_doc(pydoc.locate(name), renderer=pydoc.plaintext)
    obj = pydoc.locate(name)
    assert own_doc(obj).splitlines()[0] in text
