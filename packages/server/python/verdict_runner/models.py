"""
The `models` module a Python function block imports (`from models import Input, Output`), built
for one test from two JSON Schemas: the upstream handle's (`Input`) and the block's
`output_schema` (`Output`). It behaves like the pydantic v2 models Retab generates, without
pydantic: pydantic may be absent, and importing it costs more than a whole test may take.

A schema compiles to *shapes*, one small object per schema node that converts a value to what the
model holds (or says why it cannot), and each object schema with `properties` to a model class.
Both are built on first use: a test pays only for the parts of its schemas its data reaches, and
nothing here outlives the `Models` that built it (each test gets fresh classes).
"""

import json
import sys
import types

_MODULE_NAME = "models"
_VALUE_PREVIEW_CHARS = 60
# The largest int that is also a finite JSON number (a float): bigger ones are refused in outputs.
_MAX_JSON_INT = int(sys.float_info.max)
_INFINITIES = (float("inf"), float("-inf"))
_TEMPORAL_FORMATS = ("date-time", "date", "time")
_REF_HOPS = 32  # `allOf` follows a chain of $refs this far (a cycle is cut)


# ---------------------------------------------------------------------------------------------
# Errors


class ValidationError(ValueError):
    """A value does not fit a model: names the field path, e.g. `Output.items[0].price: expected number, got str 'x'`."""

    def __init__(self, title: str, loc: tuple, message: str, value: object) -> None:
        self.title = title
        self.loc = loc
        self.message = message
        self.value = value
        super().__init__(f"{title}{format_loc(loc)}: {message}")

    def errors(self) -> list:
        """pydantic's shape: one dict per error (this implementation stops at the first)."""
        return [{"loc": self.loc, "msg": self.message, "input": self.value}]

    def error_count(self) -> int:
        return 1


class _Invalid(Exception):
    """Raised inside shapes; `loc_reversed` collects the keys on the way out (cheaper than prepending)."""

    def __init__(self, message: str, value: object) -> None:
        self.message = message
        self.value = value
        self.loc_reversed: list = []

    def at(self, title: str) -> ValidationError:
        return ValidationError(title, tuple(reversed(self.loc_reversed)), self.message, self.value)


def _expected(what: str, value: object) -> _Invalid:
    return _Invalid(f"expected {what}, got {describe_value(value)}", value)


def describe_value(value: object) -> str:
    """`str 'abc'`, `None`, `list [1, 2, 3…]`: the type and a short preview."""
    if value is None:
        return "None"
    try:
        preview = repr(value)
    except Exception:
        preview = "(unprintable)"
    if len(preview) > _VALUE_PREVIEW_CHARS:
        preview = preview[: _VALUE_PREVIEW_CHARS - 1] + "…"
    return f"{type(value).__name__} {preview}"


def format_loc(loc: tuple) -> str:
    """`.items[0].price`; keys that are not identifiers are quoted: `['unit price']`."""
    parts = []
    for key in loc:
        if isinstance(key, int):
            parts.append(f"[{key}]")
        elif isinstance(key, str) and key.isidentifier():
            parts.append(f".{key}")
        else:
            parts.append(f"[{key!r}]")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Shapes: what a schema node accepts, and what a value becomes


class Shape:
    __slots__ = ()
    allows_null = False
    kind = "any value"  # what messages say the shape expects

    def convert(self, value: object) -> object:
        raise NotImplementedError

    def describe(self) -> str:
        return self.kind

    def children(self) -> tuple:
        return ()


class AnyShape(Shape):
    """No schema: JSON objects become `JsonObject`s (attribute access), lists are converted item by item."""

    __slots__ = ()
    allows_null = True

    def convert(self, value: object) -> object:
        value_type = type(value)
        if value_type is dict:
            return _json_object(JsonObject, {key: self.convert(item) for key, item in value.items()})
        if value_type is list:
            return [self.convert(item) for item in value]
        return value


ANY = AnyShape()


class StringShape(Shape):
    __slots__ = ("temporal",)
    kind = "string"

    def __init__(self, fmt: object) -> None:
        # pydantic models generated for these formats hold datetime objects; accept them too.
        self.temporal = fmt in _TEMPORAL_FORMATS

    def convert(self, value: object) -> object:
        if type(value) is str:
            return value
        if isinstance(value, str):
            return str.__str__(value)  # a str subclass (a str-valued Enum member): its text
        if self.temporal and _is_temporal(value):
            return value
        raise _expected(self.kind, value)


class IntegerShape(Shape):
    __slots__ = ()
    kind = "integer"

    def convert(self, value: object) -> object:
        value_type = type(value)
        if value_type is int:
            return value
        if value_type is float and value.is_integer():
            return int(value)
        if value_type is not bool and isinstance(value, int):
            return int(value)
        if _is_decimal(value) and value.is_finite() and value == value.to_integral_value():
            return int(value)
        raise _expected(self.kind, value)


class NumberShape(Shape):
    __slots__ = ()
    kind = "number"

    def convert(self, value: object) -> object:
        value_type = type(value)
        if value_type is float:
            return value
        if value_type is int or (value_type is not bool and isinstance(value, (int, float))) or _is_decimal(value):
            try:
                return float(value)
            except OverflowError:
                raise _Invalid(f"expected number, got an integer too large for a float ({len(str(value))} digits)", value) from None
        raise _expected(self.kind, value)


class BooleanShape(Shape):
    __slots__ = ()
    kind = "boolean"

    def convert(self, value: object) -> object:
        if value is True or value is False:
            return value
        raise _expected(self.kind, value)


class NullShape(Shape):
    __slots__ = ()
    kind = "null"
    allows_null = True

    def convert(self, value: object) -> object:
        if value is None:
            return None
        raise _expected(self.kind, value)


# The shapes that hold no state, shared by every schema.
STRING = StringShape(None)
NULL = NullShape()
_SCALARS = {"integer": IntegerShape(), "number": NumberShape(), "boolean": BooleanShape(), "null": NULL}


class EnumShape(Shape):
    """`enum` and `const`: the value must equal one of them (`1` is not `true`); the schema's own value is kept."""

    __slots__ = ("values", "allows_null")

    def __init__(self, values: list) -> None:
        self.values = values
        self.allows_null = None in values

    def convert(self, value: object) -> object:
        for allowed in self.values:
            if _json_equal(value, allowed):
                return allowed
        enum = sys.modules.get("enum")
        if enum is not None and isinstance(value, enum.Enum):
            return self.convert(value.value)
        raise _expected(self.describe(), value)

    def describe(self) -> str:
        listed = ", ".join(repr(allowed) for allowed in self.values[:10])
        return f"one of {listed}" + (", …" if len(self.values) > 10 else "")


class ArrayShape(Shape):
    __slots__ = ("items",)
    kind = "array"

    def __init__(self, items: Shape) -> None:
        self.items = items

    def convert(self, value: object) -> object:
        if not isinstance(value, (list, tuple)):
            raise _expected(self.kind, value)
        convert_item = self.items.convert
        converted = []
        for index, item in enumerate(value):
            try:
                converted.append(convert_item(item))
            except _Invalid as problem:
                problem.loc_reversed.append(index)
                raise
        return converted


    def children(self) -> tuple:
        return (self.items,)


class MapShape(Shape):
    """An object schema without `properties`: a dict (a `JsonObject`, so keys read as attributes too)."""

    __slots__ = ("values", "object_class")
    kind = "object"

    def __init__(self, values: Shape, object_class: type) -> None:
        self.values = values
        self.object_class = object_class

    def convert(self, value: object) -> object:
        if isinstance(value, BaseModel):
            value = value.__dict__
        elif not isinstance(value, dict):
            raise _expected("object", value)
        return _json_object(self.object_class, _convert_values(value, self.values))

    def children(self) -> tuple:
        return (self.values,)


class ModelShape(Shape):
    """An object schema with `properties`: an instance of its model class (made on first use)."""

    __slots__ = ("name", "spec", "_class")
    kind = "object"

    def __init__(self, name: str, spec: "ObjectSpec") -> None:
        self.name = name
        self.spec = spec
        self._class: "type | None" = None

    def model_class(self) -> type:
        if self._class is None:
            self._class = _model_class(self.name, self.spec)
        return self._class

    def convert(self, value: object) -> object:
        model_class = self._class or self.model_class()
        if type(value) is model_class:
            return value  # as pydantic: an instance of the field's class is taken as it is
        if isinstance(value, dict):
            return _build_model(model_class, value)
        if isinstance(value, model_class):
            return value
        if isinstance(value, BaseModel):
            # Another model with the same fields (an Input item passed into Output): pydantic
            # refuses it, but it is what the code means.
            return _build_model(model_class, value.__dict__)
        raise _expected("object", value)

    def children(self) -> tuple:
        fields = self.spec.fields()
        return tuple(field.shape for field in fields) + (self.spec.extras or ANY,)


class UnionShape(Shape):
    """`anyOf`/`oneOf`/several types: the first option that takes the value (integers before numbers)."""

    __slots__ = ("options",)

    def __init__(self, options: list) -> None:
        self.options = sorted(options, key=lambda option: isinstance(option, NumberShape))

    def convert(self, value: object) -> object:
        deepest = None
        for option in self.options:
            try:
                return option.convert(value)
            except _Invalid as problem:
                if problem.loc_reversed and deepest is None:
                    deepest = problem
        # A value that got inside an option (an object with one bad field) is told about that field.
        if deepest is not None:
            raise deepest
        raise _expected(self.describe(), value)

    def describe(self) -> str:
        return " or ".join(option.describe() for option in self.options)

    def children(self) -> tuple:
        return tuple(self.options)


class NullableShape(Shape):
    """`Optional[...]`: None, or what `inner` takes."""

    __slots__ = ("inner",)
    allows_null = True

    def __init__(self, inner: Shape) -> None:
        self.inner = inner

    def convert(self, value: object) -> object:
        if value is None:
            return None
        return self.inner.convert(value)

    def describe(self) -> str:
        return f"{self.inner.describe()} or null"

    def children(self) -> tuple:
        return (self.inner,)


class RefShape(Shape):
    """A `$ref`: its target is compiled on first use, so recursive schemas compile."""

    __slots__ = ("compiler", "pointer", "name", "_target")

    def __init__(self, compiler: "SchemaCompiler", pointer: str, name: str) -> None:
        self.compiler = compiler
        self.pointer = pointer
        self.name = name
        self._target: "Shape | None" = None

    def target(self) -> Shape:
        if self._target is None:
            # Placeholder while compiling: a chain of $refs that leads back here accepts anything.
            self._target = ANY
            target = self.compiler.compile(self.compiler.resolve(self.pointer), self.name)
            while isinstance(target, RefShape) and target is not self:
                target = target.target()
            self._target = ANY if target is self else target
        return self._target

    @property
    def allows_null(self) -> bool:  # type: ignore[override]
        return self.target().allows_null

    def convert(self, value: object) -> object:
        return (self._target or self.target()).convert(value)

    def describe(self) -> str:
        return self.target().describe()

    def children(self) -> tuple:
        return (self.target(),)


def _convert_values(mapping: dict, shape: Shape) -> dict:
    if shape is ANY:
        return {key: ANY.convert(item) for key, item in mapping.items()}
    converted = {}
    for key, item in mapping.items():
        try:
            converted[key] = shape.convert(item)
        except _Invalid as problem:
            problem.loc_reversed.append(key)
            raise
    return converted


def _json_equal(value: object, allowed: object) -> bool:
    try:
        return value == allowed and (type(value) is bool) == (type(allowed) is bool)
    except Exception:
        return False


def _is_decimal(value: object) -> bool:
    decimal = sys.modules.get("decimal")
    return decimal is not None and isinstance(value, decimal.Decimal)


def _is_temporal(value: object) -> bool:
    datetime = sys.modules.get("datetime")
    return datetime is not None and isinstance(value, (datetime.date, datetime.time))


# ---------------------------------------------------------------------------------------------
# Schemas → shapes


class SchemaCompiler:
    """Compiles the nodes of one root schema; `registry` collects the model classes' names for the module."""

    def __init__(self, root: object, registry: dict) -> None:
        self.root = root
        self.registry = registry
        self.refs: dict = {}

    def compile(self, schema: object, hint: str, use_title: bool = True) -> Shape:
        if not isinstance(schema, dict):
            return ANY  # true, {} and anything unreadable accept every value
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return self.ref(ref)
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list):
                return self._union([self.compile(option, hint) for option in schema[key]])
        if isinstance(schema.get("allOf"), list):
            return self.compile(self._merged(schema), hint, use_title)
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return EnumShape(list(schema["enum"]))
        if "const" in schema:
            return EnumShape([schema["const"]])
        shape = self._typed(schema, hint, use_title)
        return NullableShape(shape) if schema.get("nullable") is True and not shape.allows_null else shape

    def ref(self, pointer: str) -> Shape:
        shape = self.refs.get(pointer)
        if shape is None:
            if not pointer.startswith("#"):
                return ANY  # only local references can be followed without a network
            shape = RefShape(self, pointer, _class_name(pointer.rsplit("/", 1)[-1]) or "Model")
            self.refs[pointer] = shape
        return shape

    def resolve(self, pointer: str) -> object:
        """The node at a local JSON Pointer (`#/$defs/Item`), None when there is none."""
        node = self.root
        tokens = pointer[2:].split("/") if pointer.startswith("#/") else []
        for token in tokens:
            key = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict):
                node = node.get(key)
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                return None
        return node

    def _typed(self, schema: dict, hint: str, use_title: bool) -> Shape:
        declared = schema.get("type")
        if type(declared) is str and declared != "null":
            return self._of_type(declared, schema, hint, use_title)  # the common case, without a union
        types_ = [declared] if isinstance(declared, str) else declared if isinstance(declared, list) else []
        if not types_:
            if isinstance(schema.get("properties"), dict):
                types_ = ["object"]
            elif "items" in schema:
                types_ = ["array"]
            else:
                return ANY
        options = [self._of_type(kind, schema, hint, use_title) for kind in types_ if kind != "null"]
        if "null" in types_:
            options.append(NULL)
        return self._union(options)

    def _of_type(self, kind: object, schema: dict, hint: str, use_title: bool) -> Shape:
        if kind == "object":
            return self._object(schema, hint, use_title)
        if kind == "array":
            return ArrayShape(self.compile(schema.get("items"), _singular(hint)))
        if kind == "string":
            fmt = schema.get("format")
            return StringShape(fmt) if fmt in _TEMPORAL_FORMATS else STRING
        return _SCALARS.get(kind, ANY)  # type: ignore[arg-type]

    def _object(self, schema: dict, hint: str, use_title: bool) -> Shape:
        extras = schema.get("additionalProperties", True)
        if not schema.get("properties") or not isinstance(schema["properties"], dict):
            return MapShape(ANY if extras is False else self.compile(extras, hint), JsonObject)
        title = schema.get("title") if use_title else None
        name = _class_name(title) if isinstance(title, str) and _class_name(title) else _class_name(hint) or "Model"
        shape = ModelShape(name, ObjectSpec(self, schema, name))
        self.registry.setdefault(name, shape)
        return shape

    def _union(self, options: list) -> Shape:
        if not options:
            return ANY
        nullable = any(option.allows_null for option in options)
        kept = [option for option in options if not isinstance(option, NullShape)]
        if any(option is ANY for option in kept) or not kept:
            return ANY if kept else NULL
        inner = kept[0] if len(kept) == 1 else UnionShape(kept)
        return NullableShape(inner) if nullable and not inner.allows_null else inner

    def _merged(self, schema: dict) -> dict:
        """`allOf`: the parts' keys together, properties and required lists joined (enough for pydantic's `allOf: [{$ref}]`)."""
        merged: dict = {key: value for key, value in schema.items() if key != "allOf"}
        for part in schema["allOf"]:
            for _ in range(_REF_HOPS):
                if not (isinstance(part, dict) and isinstance(part.get("$ref"), str)):
                    break
                part = self.resolve(part["$ref"])
            if not isinstance(part, dict):
                continue
            for key, value in part.items():
                if key in ("allOf", "$ref"):
                    continue  # one level is merged: a part's own allOf (or a $ref cycle) is not followed
                if key == "properties" and isinstance(value, dict):
                    merged["properties"] = {**merged.get("properties", {}), **value}
                elif key == "required" and isinstance(value, list):
                    merged["required"] = list(merged.get("required", [])) + value
                else:
                    merged.setdefault(key, value)
        return merged


def _class_name(text: str) -> str:
    """`line items` / `line_items` / `LineItem` → `LineItems`, `LineItem`; '' when nothing is left."""
    words = "".join(char if char.isalnum() else " " for char in text).split()
    name = "".join(word[:1].upper() + word[1:] for word in words)
    if name and name[0].isdigit():
        name = "Model" + name
    return name if name.isidentifier() else ""


def _singular(hint: str) -> str:
    """The name for the items of an array field: `line_items` → `line_item`, `entries` → `entry`."""
    for plural, singular in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if hint.endswith(plural):
            return hint[: -len(plural)] + singular
    if hint.endswith("s") and not hint.endswith("ss") and len(hint) > 1:
        return hint[:-1]
    return hint + "_item"


# ---------------------------------------------------------------------------------------------
# Object schemas: fields, and the model classes built from them


class Field:
    __slots__ = ("name", "shape", "required", "default", "fresh_default", "omit_when_none")

    def __init__(self, name: str, shape: Shape, required: bool, default: object, fresh_default: bool, omit_when_none: bool) -> None:
        self.name = name
        self.shape = shape
        self.required = required
        self.default = default
        # A list or dict default is converted again for every instance, so instances never share it.
        self.fresh_default = fresh_default
        # An optional field left None whose schema refuses null stays out of the block's output.
        self.omit_when_none = omit_when_none

    def default_value(self) -> object:
        if not self.fresh_default:
            return self.default
        return _converted_default(self.shape, self.default)


class ObjectSpec:
    """The fields of one object schema, compiled on first use."""

    __slots__ = ("compiler", "schema", "name", "_fields", "names", "extras", "forbids_extras", "omit_when_none")

    def __init__(self, compiler: "SchemaCompiler | None", schema: dict, name: str) -> None:
        self.compiler = compiler
        self.schema = schema
        self.name = name
        self._fields: "tuple | None" = None
        self.omit_when_none: frozenset = frozenset()

    def fields(self) -> tuple:
        if self._fields is None:
            self._compile()
        return self._fields  # type: ignore[return-value]

    def _compile(self) -> None:
        properties = self.schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        required = self.schema.get("required")
        required = set(required) if isinstance(required, list) else set()
        extras = self.schema.get("additionalProperties", True)
        compiler = self.compiler
        fields = []
        for name, schema in properties.items():
            shape = compiler.compile(schema, name) if compiler else ANY
            fields.append(_field(name, shape, name in required, schema))
        self.names = frozenset(properties)
        self.forbids_extras = extras is False
        self.extras = None if extras is False or extras is True or not compiler else compiler.compile(extras, self.name + "Extra")
        self.omit_when_none = frozenset(field.name for field in fields if field.omit_when_none)
        self._fields = tuple(fields)

    def validate(self, data: dict) -> dict:
        """The instance's values from `data`: every field converted, defaults filled, extras kept."""
        values = {}
        missing = []
        found = 0
        for field in self._fields or self.fields():
            name = field.name
            if name in data:
                found += 1
                try:
                    values[name] = field.shape.convert(data[name])
                except _Invalid as problem:
                    problem.loc_reversed.append(name)
                    raise
            elif field.required:
                missing.append(name)
            else:
                values[name] = field.default_value()
        if missing:
            listed = ", ".join(repr(name) for name in missing)
            raise _Invalid(f"field {listed} is required" if len(missing) == 1 else f"fields {listed} are required", data)
        if found != len(data):
            self._add_extras(data, values)
        return values

    def _add_extras(self, data: dict, values: dict) -> None:
        for key, item in data.items():
            if key in self.names:
                continue
            if self.forbids_extras:
                raise _Invalid(f"unexpected field {key!r}: the schema allows no other fields (additionalProperties is false)", item)
            if self.extras is None:
                values[key] = ANY.convert(item)
                continue
            try:
                values[key] = self.extras.convert(item)
            except _Invalid as problem:
                problem.loc_reversed.append(key)
                raise


def _field(name: str, shape: Shape, required: bool, schema: object) -> Field:
    omit_when_none = not required and not shape.allows_null
    if isinstance(schema, dict) and "default" in schema:
        default = schema["default"]
        if isinstance(default, (dict, list)):
            return Field(name, shape, required, default, True, omit_when_none)
        return Field(name, shape, required, _converted_default(shape, default), False, omit_when_none)
    if omit_when_none:
        shape = NullableShape(shape)  # not required and no default: `Optional[...] = None`
    return Field(name, shape, required, None, False, omit_when_none)


def _converted_default(shape: Shape, default: object) -> object:
    """Defaults are converted like values (so a default object reads by attribute); one that does not fit is kept as written."""
    try:
        return shape.convert(_json_copy(default))
    except _Invalid:
        return _json_copy(default)


def _json_copy(value: object) -> object:
    if isinstance(value, dict):
        return {key: _json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_copy(item) for item in value]
    return value


_OPEN_SPEC = ObjectSpec(None, {}, "BaseModel")


class _ModelMethods:
    """What models and JsonObjects share. Methods call each other through the class: a field may hide one on an instance."""

    __slots__ = ()

    @classmethod
    def model_validate(cls, obj: object) -> object:
        raise NotImplementedError

    @classmethod
    def model_validate_json(cls, text: "str | bytes") -> object:
        return cls.model_validate(json.loads(text))

    def model_dump(self, *, mode: str = "python", include: object = None, exclude: object = None, exclude_none: bool = False) -> dict:
        return _dumped(self, _dump_mode(mode), include, exclude, exclude_none)

    def model_dump_json(self, *, indent: "int | None" = None, include: object = None, exclude: object = None, exclude_none: bool = False) -> str:
        return _dumps(_dumped(self, _DUMP_JSON_TEXT, include, exclude, exclude_none), indent)

    # pydantic v1 names, still accepted by pydantic v2
    def dict(self, **options: object) -> dict:
        return _ModelMethods.model_dump(self, **options)  # type: ignore[arg-type]

    def json(self, **options: object) -> str:
        return _ModelMethods.model_dump_json(self, **options)  # type: ignore[arg-type]


class BaseModel(_ModelMethods):
    """
    The base of every generated model. Field values live in the instance's `__dict__` under their
    JSON names, so `model.invoice_id` is a plain attribute read and `getattr(model, "unit price")`
    or `model["unit price"]` reach keys that are not identifiers (or that a method name hides).
    """

    _verdict_spec = _OPEN_SPEC
    __hash__ = None  # type: ignore[assignment]  # mutable, as pydantic's models (unless frozen)

    def __init__(self, /, **data: object) -> None:
        cls = type(self)
        try:
            self.__dict__ = cls._verdict_spec.validate(data)
        except _Invalid as problem:
            raise problem.at(cls.__name__) from None

    @classmethod
    def model_validate(cls, obj: object) -> "BaseModel":
        if isinstance(obj, cls):
            return obj
        try:
            if isinstance(obj, BaseModel):
                obj = obj.__dict__
            if not isinstance(obj, dict):
                raise _expected("object", obj)
            return _build_model(cls, obj)
        except _Invalid as problem:
            raise problem.at(cls.__name__) from None

    @classmethod
    def model_construct(cls, **values: object) -> "BaseModel":
        """No validation, as pydantic: missing fields take their defaults."""
        model = object.__new__(cls)
        filled = {field.name: field.default_value() for field in cls._verdict_spec.fields() if not field.required}
        filled.update(values)
        model.__dict__ = filled
        return model

    @classmethod
    def model_json_schema(cls) -> dict:
        return _json_copy(cls._verdict_spec.schema)  # type: ignore[return-value]


    def model_copy(self, *, update: "dict | None" = None, deep: bool = False) -> "BaseModel":
        copy = object.__new__(type(self))
        copy.__dict__ = _deep_copied(self.__dict__) if deep else dict(self.__dict__)
        if update:
            copy.__dict__.update(update)
        return copy

    def copy(self, *, update: "dict | None" = None, deep: bool = False) -> "BaseModel":
        return BaseModel.model_copy(self, update=update, deep=deep)

    def __getitem__(self, key: str) -> object:
        return self.__dict__[key]

    def __iter__(self):  # type: ignore[no-untyped-def]
        """(name, value) pairs, as pydantic: `dict(model)` is the fields, nested models kept."""
        return iter(self.__dict__.items())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BaseModel):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_fields_text(self, ', ')})"

    def __str__(self) -> str:
        return _fields_text(self, " ")


class JsonObject(dict, _ModelMethods):  # type: ignore[misc]
    """
    A JSON object with no declared fields (no schema, or an object schema without `properties`):
    a dict, whose keys also read as attributes (`obj.name`, or `obj["name"]` for keys that are not
    identifiers or that a dict method hides, such as `items`), with the models' dump methods.
    """

    __slots__ = ()
    _verdict_values: Shape = ANY

    def __init__(self, /, *args: object, **kwargs: object) -> None:
        dict.__init__(self, *args, **kwargs)
        try:
            dict.update(self, _convert_values(self, type(self)._verdict_values))
        except _Invalid as problem:
            raise problem.at(type(self).__name__) from None

    def __getattr__(self, name: str) -> object:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}") from None

    def __setattr__(self, name: str, value: object) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    @classmethod
    def model_validate(cls, obj: object) -> "JsonObject":
        if isinstance(obj, cls):
            return obj
        if isinstance(obj, BaseModel):
            obj = obj.__dict__
        if not isinstance(obj, dict):
            raise _expected("object", obj).at(cls.__name__)
        return cls(obj)


    def model_copy(self, *, update: "dict | None" = None, deep: bool = False) -> "JsonObject":
        copy = _json_object(type(self), _deep_copied(dict(self)) if deep else self)
        if update:
            dict.update(copy, update)
        return copy


def _fields_text(model: BaseModel, separator: str) -> str:
    """`invoice_id='INV-1', total=10.0`, as pydantic's repr (str joins with spaces)."""
    return separator.join(f"{key}={value!r}" for key, value in model.__dict__.items())


def _model_class(name: str, spec: ObjectSpec) -> type:
    namespace = {"__module__": _MODULE_NAME, "__qualname__": name, "_verdict_spec": spec}
    description = spec.schema.get("description")
    if isinstance(description, str):
        namespace["__doc__"] = description
    return type(name, (BaseModel,), namespace)


def _json_object_class(name: str, values: Shape) -> type:
    return type(name, (JsonObject,), {"__module__": _MODULE_NAME, "__qualname__": name, "__slots__": (), "_verdict_values": values})


def _build_model(model_class: type, data: dict) -> BaseModel:
    model = object.__new__(model_class)
    model.__dict__ = model_class._verdict_spec.validate(data)
    return model


def _json_object(object_class: type, values: dict) -> JsonObject:
    made = dict.__new__(object_class)
    dict.update(made, values)
    return made


def _deep_copied(values: dict) -> dict:
    import copy  # only for model_copy(deep=True)

    return copy.deepcopy(values)


# ---------------------------------------------------------------------------------------------
# Dumping: model_dump (python and json modes), and the block's output


class UnrepresentableOutput(ValueError):
    """A value JSON cannot represent (NaN, a set outside a model, an object); `where` is its path, `$.items[2].price`."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.loc_reversed: list = []

    @property
    def where(self) -> str:
        return "$" + format_loc(tuple(reversed(self.loc_reversed)))

    def __str__(self) -> str:
        where = self.where
        subject = "transform returned" if where == "$" else f"{where} is"
        return f"{subject} {self.problem}, which JSON cannot represent"


class OutputTooDeep(ValueError):
    pass


class _JsonMode:
    """
    How `_to_json` treats values. model_dump(mode="json") converts Decimal, datetime, … everywhere
    and keeps NaN; model_dump_json writes NaN and ±Infinity as null (as pydantic does); a block's
    output converts only inside models, refuses NaN, Infinity and integers no float can hold, and
    is bounded in depth.
    """

    __slots__ = ("lenient_outside_models", "omit_unset_optionals", "max_depth", "non_finite")

    def __init__(self, lenient_outside_models: bool, omit_unset_optionals: bool, max_depth: int, non_finite: str) -> None:
        self.lenient_outside_models = lenient_outside_models
        self.omit_unset_optionals = omit_unset_optionals
        self.max_depth = max_depth
        self.non_finite = non_finite  # "keep", "null" or "refuse"


_DUMP_JSON = _JsonMode(lenient_outside_models=True, omit_unset_optionals=False, max_depth=sys.maxsize, non_finite="keep")
_DUMP_JSON_TEXT = _JsonMode(lenient_outside_models=True, omit_unset_optionals=False, max_depth=sys.maxsize, non_finite="null")


def output_json_value(value: object, max_depth: int) -> object:
    """
    A transform's return value as plain JSON data: models dumped as model_dump(mode="json") does
    (but optional fields left None that their schema does not allow as null are left out), and
    everything outside models already JSON. Raises UnrepresentableOutput or OutputTooDeep.
    """
    return _to_json(value, _JsonMode(False, True, max_depth, "refuse"), 0, False)


def _to_json(value: object, mode: _JsonMode, depth: int, lenient: bool) -> object:
    value_type = type(value)
    if value_type is str or value_type is bool or value is None:
        return value
    if value_type is int:
        if mode.non_finite == "refuse" and not -_MAX_JSON_INT <= value <= _MAX_JSON_INT:  # type: ignore[operator]
            raise UnrepresentableOutput(f"an integer of {len(str(value))} digits")
        return value
    if value_type is float:
        if value != value or value in _INFINITIES:
            return _non_finite(value, mode)  # type: ignore[arg-type]
        return value
    if value_type is list or value_type is tuple:
        return _list_to_json(value, mode, _deeper(depth, mode), lenient)  # type: ignore[arg-type]
    if value_type is dict:
        return _dict_to_json(value, mode, _deeper(depth, mode), lenient, ())  # type: ignore[arg-type]
    if isinstance(value, BaseModel):
        omitted = type(value)._verdict_spec.omit_when_none if mode.omit_unset_optionals else ()
        return _dict_to_json(value.__dict__, mode, _deeper(depth, mode), True, omitted)
    if isinstance(value, dict):
        return _dict_to_json(value, mode, _deeper(depth, mode), lenient or isinstance(value, JsonObject), ())
    return _other_to_json(value, mode, depth, lenient or mode.lenient_outside_models)


def _non_finite(value: float, mode: _JsonMode) -> "float | None":
    if mode.non_finite == "keep":
        return value
    if mode.non_finite == "null":
        return None
    raise UnrepresentableOutput("NaN" if value != value else "Infinity" if value > 0 else "-Infinity")


def _deeper(depth: int, mode: _JsonMode) -> int:
    if depth >= mode.max_depth:
        raise OutputTooDeep()
    return depth + 1


def _list_to_json(items: list, mode: _JsonMode, depth: int, lenient: bool) -> list:
    converted = []
    for index, item in enumerate(items):
        try:
            converted.append(_to_json(item, mode, depth, lenient))
        except UnrepresentableOutput as problem:
            problem.loc_reversed.append(index)
            raise
    return converted


def _dict_to_json(mapping: dict, mode: _JsonMode, depth: int, lenient: bool, omitted: "frozenset | tuple") -> dict:
    converted = {}
    for key, item in mapping.items():
        if item is None and key in omitted:
            continue
        try:
            converted[_json_key(key, lenient)] = _to_json(item, mode, depth, lenient)
        except UnrepresentableOutput as problem:
            problem.loc_reversed.append(key)
            raise
    return converted


def _json_key(key: object, lenient: bool) -> str:
    """Keys as json.dumps writes them (str, int, float, bool, None), Enum members by value inside models."""
    if type(key) is str:
        return key  # type: ignore[return-value]
    if isinstance(key, str):
        return str.__str__(key)
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(key)
    if lenient:
        converted = _json_mode_scalar(key)
        if converted is not _NOT_CONVERTED and isinstance(converted, (str, int, float)):
            return _json_key(converted, lenient)
    raise UnrepresentableOutput(f"a key of type {type(key).__name__} ({describe_value(key)})")


def _other_to_json(value: object, mode: _JsonMode, depth: int, lenient: bool) -> object:
    """Subclasses of str/int/float (as json.dumps), then pydantic's JSON mode inside models, else refused."""
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return _to_json(int(value), mode, depth, lenient)
    if isinstance(value, float):
        return _to_json(float(value), mode, depth, lenient)
    if lenient:
        converted = _json_mode_scalar(value)
        if converted is not _NOT_CONVERTED:
            return _to_json(converted, mode, depth, lenient)
    article = "an" if type(value).__name__[:1].lower() in "aeiou" else "a"
    raise UnrepresentableOutput(f"{article} {type(value).__name__}")


_NOT_CONVERTED = object()


def _json_mode_scalar(value: object) -> object:
    """What pydantic's model_dump(mode="json") makes of a non-JSON value, or _NOT_CONVERTED."""
    modules = sys.modules
    enum = modules.get("enum")
    if enum is not None and isinstance(value, enum.Enum):
        return value.value
    decimal = modules.get("decimal")
    if decimal is not None and isinstance(value, decimal.Decimal):
        return str(value)
    datetime = modules.get("datetime")
    if datetime is not None and isinstance(value, (datetime.date, datetime.time)):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    uuid = modules.get("uuid")
    if uuid is not None and isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return _NOT_CONVERTED
    return _NOT_CONVERTED


class SerializationError(ValueError):
    """model_dump(mode="json") met a value it cannot turn into JSON (pydantic's PydanticSerializationError)."""


def _dump_mode(mode: str) -> "_JsonMode | None":
    """model_dump's `mode`: None for "python"."""
    if mode == "python":
        return None
    if mode == "json":
        return _DUMP_JSON
    raise ValueError(f"mode must be 'python' or 'json', not {mode!r}")


def _dumped(model: object, json_mode: "_JsonMode | None", include: object, exclude: object, exclude_none: bool) -> dict:
    if json_mode is None:
        dumped = _to_python(model)
    else:
        try:
            dumped = _to_json(model, json_mode, 0, True)
        except UnrepresentableOutput as problem:
            raise SerializationError(f"Unable to serialize {problem.problem} at {problem.where}") from None
    if include is not None:
        dumped = {key: value for key, value in dumped.items() if key in include}  # type: ignore[union-attr, operator]
    if exclude is not None:
        dumped = {key: value for key, value in dumped.items() if key not in exclude}  # type: ignore[union-attr, operator]
    return _without_none(dumped) if exclude_none else dumped  # type: ignore[return-value]


def _to_python(value: object) -> object:
    """model_dump(): models and JsonObjects become plain dicts; other values are kept (containers copied)."""
    value_type = type(value)
    if value_type is list:
        return [_to_python(item) for item in value]  # type: ignore[attr-defined]
    if value_type is dict:
        return {key: _to_python(item) for key, item in value.items()}  # type: ignore[attr-defined]
    if value_type is tuple:
        return tuple(_to_python(item) for item in value)  # type: ignore[attr-defined]
    if isinstance(value, BaseModel):
        return {key: _to_python(item) for key, item in value.__dict__.items()}
    if isinstance(value, JsonObject):
        return {key: _to_python(item) for key, item in value.items()}
    return value


def _without_none(value: object) -> object:
    if isinstance(value, dict):
        return {key: _without_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_none(item) for item in value]
    return value


def _dumps(value: object, indent: "int | None") -> str:
    if indent is None:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(value, ensure_ascii=False, indent=indent)


# ---------------------------------------------------------------------------------------------
# The module


class Models:
    """One test's two schemas, compiled, and the `models` module the user's code imports."""

    def __init__(self, input_schema: object, output_schema: object) -> None:
        self.registry: dict = {}
        self.input_shape = SchemaCompiler(input_schema, self.registry).compile(input_schema, "Input", use_title=False)
        self.output_shape = SchemaCompiler(output_schema, self.registry).compile(output_schema, "Output", use_title=False)
        self.output_schema_given = self.output_shape is not ANY
        self._roots: dict = {}
        self.module = self._module()

    def input_value(self, value: object) -> object:
        """The argument of transform: the input converted by its schema (`ValidationError` titled Input)."""
        try:
            return self._converted("Input", self.input_shape, value)
        except _Invalid as problem:
            raise problem.at("Input") from None

    def validated_output(self, value: object) -> object:
        """The transform's return checked against output_schema (an Output instance is checked again: fields may have been reassigned)."""
        if not self.output_schema_given:
            return value
        try:
            if isinstance(value, BaseModel) and isinstance(self.output_shape, ModelShape):
                return _build_model(self.output_shape.model_class(), value.__dict__)
            return self._converted("Output", self.output_shape, value)
        except _Invalid as problem:
            raise problem.at("Output") from None

    def root_class(self, name: str) -> type:
        root = self._roots.get(name)
        if root is None:
            shape = self.input_shape if name == "Input" else self.output_shape
            if isinstance(shape, ModelShape):
                root = shape.model_class()
            else:
                root = _json_object_class(name, shape.values if isinstance(shape, MapShape) else ANY)
            self._roots[name] = root
        return root

    def _converted(self, name: str, shape: Shape, value: object) -> object:
        """A root object that is not a model (no schema, no properties) is still an instance of Input/Output."""
        if isinstance(shape, MapShape) or (shape is ANY and isinstance(value, dict)):
            if isinstance(value, BaseModel):
                value = value.__dict__
            if not isinstance(value, dict):
                raise _expected("object", value)
            values = shape.values if isinstance(shape, MapShape) else ANY
            return _json_object(self.root_class(name), _convert_values(value, values))
        return shape.convert(value)

    def _module(self) -> types.ModuleType:
        module = types.ModuleType(_MODULE_NAME, "Input and Output of this function block, generated from its schemas.")
        module.ValidationError = ValidationError  # type: ignore[attr-defined]
        module.__getattr__ = self._module_attribute  # type: ignore[attr-defined]
        return module

    def _module_attribute(self, name: str) -> type:
        """`Input`, `Output` and nested classes (by schema title, `$defs` key, or field name) are made when first imported."""
        if name.startswith("__"):
            # The import system probes `__path__` and others on every `from models import …`.
            raise AttributeError(f"module 'models' has no attribute {name!r}")
        if name in ("Input", "Output"):
            found = self.root_class(name)
        else:
            if name not in self.registry:
                self._compile_everything()
            shape = self.registry.get(name)
            if shape is None:
                known = ", ".join(["Input", "Output"] + sorted(key for key in self.registry if key not in ("Input", "Output")))
                raise AttributeError(f"module 'models' has no attribute {name!r} (it has {known})")
            found = shape.model_class()
        setattr(self.module, name, found)
        return found

    def _compile_everything(self) -> list:
        """Every shape the two schemas reach (each once, cycles through $ref included)."""
        seen: set = set()
        reached = []
        pending = [self.input_shape, self.output_shape]
        while pending:
            shape = pending.pop()
            if id(shape) in seen:
                continue
            seen.add(id(shape))
            reached.append(shape)
            pending.extend(shape.children())
        return reached

    def build_everything(self) -> None:
        """
        For a process that forks one child per test (a template): every shape and model class made
        now, once, so no child builds them again. Each child still gets classes of its own (its
        copy of this process's memory): what one test changes on a class no other test sees.
        """
        for shape in self._compile_everything():
            if isinstance(shape, ModelShape):
                shape.model_class()
        for name in ("Input", "Output"):
            self._module_attribute(name)


def build_models(input_schema: object, output_schema: object) -> types.ModuleType:
    """The `models` module for these schemas (see Models for the values the runner needs)."""
    return Models(input_schema, output_schema).module
