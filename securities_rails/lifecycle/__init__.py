"""Instrument lifecycle and corporate actions: record dates, distributions (coupons, dividends),
redemption; ISO 20022 seev messages."""
