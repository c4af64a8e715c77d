"""Tests of the MOOST integration."""
