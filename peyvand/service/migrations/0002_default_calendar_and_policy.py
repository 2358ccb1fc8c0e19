"""A fresh install counts SLAs on the Iranian work week with the shipped official holidays,
under a standard policy (working minutes per priority)."""

from django.db import migrations

# priority: (first response, resolution) in working minutes; a working day is 8 hours.
STANDARD_TARGETS = {
    "urgent": (60, 480),
    "high": (120, 960),
    "normal": (240, 1440),
    "low": (480, 2400),
}


def create_defaults(apps, schema_editor):
    from peyvand.service.holidays import holidays_load
    from peyvand.service.models import default_work_hours

    calendar_model = apps.get_model("service", "BusinessCalendar")
    holiday_model = apps.get_model("service", "Holiday")
    policy_model = apps.get_model("service", "SlaPolicy")
    target_model = apps.get_model("service", "SlaTarget")
    if calendar_model.objects.exists():
        return
    calendar = calendar_model.objects.create(
        name="تقویم کاری ایران", work_hours=default_work_hours(), is_default=True
    )
    holidays_load(calendar, holiday_model)
    policy = policy_model.objects.create(name="استاندارد", calendar=calendar, is_default=True)
    target_model.objects.bulk_create(
        target_model(
            policy=policy,
            priority=priority,
            first_response_minutes=first,
            resolution_minutes=resolution,
        )
        for priority, (first, resolution) in STANDARD_TARGETS.items()
    )


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
