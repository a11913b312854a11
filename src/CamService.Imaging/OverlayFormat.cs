namespace CamService.Imaging;

/// <summary>How an overlay picture is encoded.</summary>
public enum OverlayFormat
{
    /// <summary>Lossless; large for photos.</summary>
    Png,

    /// <summary>Lossy, 4:2:0; a fraction of the PNG's size for a photo and faster to encode.</summary>
    Jpeg,

    /// <summary>Lossy WebP.</summary>
    Webp,
}
