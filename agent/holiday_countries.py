"""The ``holidays`` package's calendar class for one country, loaded alone and fast.

Its own module because two places need it: the configuration checks the
country code it is given (``schedule.holidays``) and the business calendar
builds each year's table from it; the configuration must not import the
calendar, which takes a :class:`~agent.config.Config`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import holidays as _holidays

_CLASSES: dict[str, type[_holidays.HolidayBase]] = {}


def holiday_class(country: str) -> type[_holidays.HolidayBase]:
    """The ``holidays`` class for an ISO 3166 code, loading that one country's module.

    Why not ``holidays.country_holidays``: its lazy loader imports the package
    ``holidays.countries``, whose ``__init__`` imports all of its ~250
    countries (measured: 0.12 s on every start of the agent, more than a warm
    poll's whole budget). The package's own registry names the module of each
    code, so that module alone is loaded from its file. Anything unexpected
    (a code the registry lacks, a newer package laid out otherwise) falls back
    to the package's own loader; a code it does not know raises ``KeyError``.
    """
    cls = _CLASSES.get(country)
    if cls is not None:
        return cls
    import holidays

    try:
        cls = _load_country(holidays, country)
    except Exception:
        cls = None
    if cls is None:
        try:
            cls = getattr(holidays, country)
        except AttributeError:
            raise KeyError(country) from None
        if not (isinstance(cls, type) and issubclass(cls, holidays.HolidayBase)):
            cls = cls.get_entity()  # the package's lazy loader: the class behind it
    if not (isinstance(cls, type) and issubclass(cls, holidays.HolidayBase)):
        raise KeyError(country)
    _CLASSES[country] = cls
    return cls


def _load_country(holidays: Any, country: str) -> type[_holidays.HolidayBase] | None:
    import importlib.util
    import sys
    from pathlib import Path

    from holidays.registry import COUNTRIES

    for module, names in COUNTRIES.items():
        if country not in names[1:]:  # (class name, alpha-2, alpha-3, other names)
            continue
        name = f"holidays.countries.{module}"
        loaded = sys.modules.get(name)
        if loaded is None:
            spec = importlib.util.spec_from_file_location(
                name, Path(holidays.__file__).parent / "countries" / f"{module}.py")
            if spec is None or spec.loader is None:
                return None
            loaded = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(loaded)
        cls = getattr(loaded, names[0], None)
        return cls if isinstance(cls, type) else None
    return None
