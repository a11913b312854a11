# Stand-ins for the official .NET images where they cannot be pulled, built by test-image.sh from
# this machine: its .NET (dotnet/) on a Debian made by debootstrap from its archive, and its local
# certificate authorities (local-ca-certificates/, those of /usr/local/share/ca-certificates).
ARG DEBIAN_IMAGE

# For mcr.microsoft.com/dotnet/sdk:10.0. NuGet restores over HTTPS, through whatever this machine's
# CAs vouch for. No ICU: globalization is invariant, as the projects are built to run.
FROM ${DEBIAN_IMAGE} AS sdk
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY local-ca-certificates/ /usr/local/share/ca-certificates/
RUN update-ca-certificates
COPY dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_RUNNING_IN_CONTAINER=true \
    DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=true \
    DOTNET_NOLOGO=true \
    DOTNET_GENERATE_ASPNET_CERTIFICATE=false \
    NUGET_XMLDOC_MODE=skip

# For mcr.microsoft.com/dotnet/aspnet:10.0: the shared runtimes without the SDK, and the images'
# non-root user app (1654), named by APP_UID.
FROM ${DEBIAN_IMAGE} AS aspnet
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1654 app \
 && useradd --uid 1654 --gid app --create-home app
COPY dotnet/dotnet dotnet/LICENSE.txt /usr/share/dotnet/
COPY dotnet/host /usr/share/dotnet/host
COPY dotnet/shared /usr/share/dotnet/shared
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV APP_UID=1654 \
    ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_RUNNING_IN_CONTAINER=true
