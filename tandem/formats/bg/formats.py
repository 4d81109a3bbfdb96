# Django's bg locale leaves the date-time formats unset, so pages fell back to the US "m/d/Y P".
DATETIME_FORMAT = "d F Y H:i"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
