"""Campaigns: email and SMS to segments, personalized, accounted for and tracked."""
