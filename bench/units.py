"""How the report prints figures."""


def ms(value):
    return f"{value:.1f}"


def kb(value):
    return f"{value / 1000:.1f} kB"
