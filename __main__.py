"""Waqiti monitoring: the stack's settings, the components, the outputs."""

import pulumi

from model.settings import load
from components.stack import MonitoringStack

stack = MonitoringStack("waqiti-monitoring", load())
for name, value in stack.outputs.items():
    pulumi.export(name, value)
