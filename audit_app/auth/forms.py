from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import AnyOf, DataRequired, Length

from audit_app.i18n import LANGUAGES


class SignInForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class ChooseLanguageForm(FlaskForm):
    locale = StringField(_l("Language"), validators=[DataRequired(), AnyOf(list(LANGUAGES))])
    next = HiddenField()


class SignOutForm(FlaskForm):
    pass
