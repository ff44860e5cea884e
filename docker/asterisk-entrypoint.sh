#!/bin/sh
# Entry point of the Asterisk container (docker/Dockerfile.asterisk).
#
# Asterisk expands no environment variables in its .conf files, so the deploy-time values are
# written into small files that asterisk/etc/*.conf pull in with #tryinclude. Each one is
# rendered with envsubst from docker/asterisk-include/<name>.in:
#   manager_secret.conf       AMI_SECRET, and AMI_PERMIT (the network the IVR connects from)
#   manager_bind.conf         AMI_BINDADDR (default 0.0.0.0: the IVR is in another container)
#   pjsip_agent_secret.conf   AGENT_PASSWORD, the agents' SIP password
#   pjsip_transport.conf      SIP_LOCAL_NET and SIP_EXTERNAL_ADDRESS (NAT), when the latter is set
#   extensions_globals.conf   IVR_AGI_HOST (default "ivr") and IVR_AGI_PORT (default 4573)
# Then it runs the command given (the image's CMD runs Asterisk in the foreground).
#
# "asterisk-entrypoint.sh --render-only" renders the files and exits. ASTERISK_ETC_DIR and
# ASTERISK_INCLUDE_TEMPLATES override where the files go and where the templates are.
set -eu

etc_dir=${ASTERISK_ETC_DIR:-/etc/asterisk}
template_dir=${ASTERISK_INCLUDE_TEMPLATES:-/usr/local/share/hotline-ivr/asterisk-include}

die() {
    echo "asterisk-entrypoint: $*" >&2
    exit 64
}

# A value written into an Asterisk config file: ";" would start a comment there, a line break
# would end the value early, and Asterisk strips blanks around a value.
check_config_value() {
    name=$1
    eval "value=\${$name-}"
    [ -n "$value" ] || die "$name must be set"
    case $value in
        *';'*) die "$name must not contain ';' (it starts a comment in Asterisk's config files)" ;;
        *'
'*) die "$name must be one line" ;;
        ' '* | *' ' | '	'* | *'	') die "$name must not start or end with a blank" ;;
    esac
}

check_secret() {
    check_config_value "$1"
    eval "value=\${$1}"
    [ "${#value}" -ge 12 ] || die "$1 must be at least 12 characters long"
    [ "$value" != "CHANGE-ME-AT-DEPLOY" ] || die "$1 is still the placeholder of pjsip.conf"
}

# An address, a network (address/bits) or a host name: nothing else may reach the config.
check_address() {
    check_config_value "$1"
    eval "value=\${$1}"
    case $value in
        *[!A-Za-z0-9.:/_-]*) die "$1 is not an address or host name: $value" ;;
    esac
}

# render NAME VAR... : $template_dir/NAME.in -> $etc_dir/NAME, substituting only the VARs.
render() {
    name=$1
    shift
    format=
    for var in "$@"; do
        format="$format \${$var}"
    done
    tmp="$etc_dir/.$name.tmp"
    (umask 077 && envsubst "$format" <"$template_dir/$name.in" >"$tmp")
    mv "$tmp" "$etc_dir/$name"
    rendered="$rendered $etc_dir/$name"
}

export AMI_BINDADDR="${AMI_BINDADDR:-0.0.0.0}"
export AMI_PERMIT="${AMI_PERMIT:-127.0.0.1/32}"
export IVR_AGI_HOST="${IVR_AGI_HOST:-ivr}"
export IVR_AGI_PORT="${IVR_AGI_PORT:-4573}"
export SIP_LOCAL_NET="${SIP_LOCAL_NET:-}"
export SIP_EXTERNAL_ADDRESS="${SIP_EXTERNAL_ADDRESS:-}"

check_secret AMI_SECRET
check_secret AGENT_PASSWORD
check_address AMI_BINDADDR
check_address AMI_PERMIT
check_address IVR_AGI_HOST
case $IVR_AGI_PORT in
    '' | *[!0-9]*) die "IVR_AGI_PORT must be a port number: $IVR_AGI_PORT" ;;
esac
export AMI_SECRET AGENT_PASSWORD

command -v envsubst >/dev/null || die "envsubst is missing (Alpine: apk add gettext-envsubst)"
[ -d "$etc_dir" ] || die "no such folder: $etc_dir"

rendered=
render manager_secret.conf AMI_SECRET AMI_PERMIT
render manager_bind.conf AMI_BINDADDR
render pjsip_agent_secret.conf AGENT_PASSWORD
render extensions_globals.conf IVR_AGI_HOST IVR_AGI_PORT
if [ -n "$SIP_EXTERNAL_ADDRESS" ]; then
    check_address SIP_EXTERNAL_ADDRESS
    check_address SIP_LOCAL_NET
    render pjsip_transport.conf SIP_LOCAL_NET SIP_EXTERNAL_ADDRESS
else
    echo "; SIP_EXTERNAL_ADDRESS is not set: no NAT settings." >"$etc_dir/pjsip_transport.conf"
    rendered="$rendered $etc_dir/pjsip_transport.conf"
fi

# Asterisk runs as the user "asterisk" (-U) and must read what root just wrote.
if [ "$(id -u)" = 0 ] && id asterisk >/dev/null 2>&1; then
    # shellcheck disable=SC2086 # $rendered is a list of paths without blanks
    chown asterisk:asterisk $rendered
fi
# shellcheck disable=SC2086
chmod 0600 $rendered

if [ "${1-}" = "--render-only" ]; then
    exit 0
fi
if [ "$#" -eq 0 ]; then
    set -- asterisk -f -n -U asterisk -G asterisk -vvv
fi
exec "$@"
