"""The dashboard's menus. Domains add their sections when their module is imported; the menus
sort by weight, then label, so the order modules are imported in never changes them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str  # for assistant items: a suffix after /assistants/{id}
    order: int
    platforms: tuple[str, ...] = ("whatsapp", "widget")


MAIN: list[NavItem] = []
ASSISTANT: list[NavItem] = []


def add_main(label: str, href: str, order: int) -> None:
    if not any(i.href == href for i in MAIN):
        MAIN.append(NavItem(label, href, order))
        MAIN.sort(key=lambda i: (i.order, i.label))


def add_assistant(
    label: str, suffix: str, order: int, platforms: tuple[str, ...] = ("whatsapp", "widget")
) -> None:
    if not any(i.href == suffix for i in ASSISTANT):
        ASSISTANT.append(NavItem(label, suffix, order, platforms))
        ASSISTANT.sort(key=lambda i: (i.order, i.label))


add_main("Dashboard", "/dashboard", 0)
add_main("Assistants", "/assistants", 10)
add_main("Billing", "/billing", 90)
add_main("Settings", "/settings", 95)
add_assistant("Overview", "", 0)
add_assistant("Settings", "/settings", 99)
