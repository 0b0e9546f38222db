from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length

from audit_app.languages import LANGUAGES


class SignInForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class ChooseLanguageForm(FlaskForm):
    locale = StringField(_l("Language"), validators=[DataRequired(), AnyOf(list(LANGUAGES))])
    next = HiddenField()


class SignOutForm(FlaskForm):
    pass


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)],
                        description=_l("At least 10 characters. A phrase of several words you can remember is best."))
    confirm = PasswordField(_l("New password again"),
                            validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)],
                        description=_l("At least 10 characters. A phrase of several words you can remember is best."))
    confirm = PasswordField(_l("New password again"),
                            validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))])


class EmailPreferencesForm(FlaskForm):
    """The kinds ticked arrive as `kind` values; which kinds exist depends on the person's role."""


class UnsubscribeForm(FlaskForm):
    pass


class CreateTokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=80)],
                       description=_l("What the token is for, for example “BI nightly sync”."))
    scope = SelectField(_l("Access"), choices=[SelectChoice("read", _l("Read only")), SelectChoice("read_write", _l("Read and write"))],
                        default="read")
    expires_in = SelectField(_l("Expires after"), choices=[SelectChoice("30", _l("30 days")), SelectChoice("90", _l("90 days")),
                                                          SelectChoice("365", _l("One year"))], default="90")


class RevokeTokenForm(FlaskForm):
    pass
